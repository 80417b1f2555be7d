/**
 * `threadhand run --env e2b-example "..."` as a user runs it, with the shipped e2b-example
 * environment, the fake model and the fake E2B found through the SDK's own variables
 * (E2B_API_KEY, E2B_API_URL, E2B_SANDBOX_URL): the agent writes a script and runs it in E2B.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { createTestIo } from '../cli/helpers.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { type FakeE2B, startFakeE2B } from '../fakes/e2b/index.js';

const AGENT = `name: coder
model: claude-test
tools:
  - type: agent_toolset_20260401
`;

let e2b: FakeE2B;
let model: FakeAnthropic;
let root: string;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  e2b = await startFakeE2B();
  model = await startFakeAnthropic();
  root = await mkdtemp(join(tmpdir(), 'threadhand-e2b-cli-'));
  await mkdir(join(root, 'agents', 'environments'), { recursive: true });
  await writeFile(join(root, 'agents', 'coder.yaml'), AGENT);
  const shipped = await readFile(
    join(import.meta.dirname, '..', '..', 'agents', 'environments', 'e2b-example.yaml'),
    'utf8',
  );
  await writeFile(join(root, 'agents', 'environments', 'e2b-example.yaml'), shipped);
  for (const [key, value] of Object.entries(e2b.env)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
});
afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await model?.close();
  await e2b?.close();
  await rm(root, { recursive: true, force: true });
});

describe('threadhand run --env e2b-example', () => {
  it('writes a file in the E2B sandbox and runs it', async () => {
    model.setScript([
      {
        content: [
          {
            type: 'tool_use',
            name: 'write',
            input: { file_path: 'hello.sh', content: 'echo "hello from $(pwd)"\n' },
          },
        ],
      },
      { content: [{ type: 'tool_use', name: 'bash', input: { command: 'bash hello.sh' } }] },
      { content: [{ type: 'text', text: 'The script printed its greeting.' }] },
    ]);
    const env = {
      ...e2b.env,
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_BASE_URL: model.url,
      THREADHAND_AGENTS_DIR: join(root, 'agents'),
      THREADHAND_DATA_DIR: join(root, 'data'),
    };
    const t = createTestIo(env);
    const code = await runCli(
      ['run', '--agent', 'coder', '--env', 'e2b-example', 'write a hello script and run it'],
      t.io,
    );
    expect(t.err()).toBe('');
    expect(code).toBe(0);
    expect(t.out()).toContain('The script printed its greeting.');

    expect(e2b.creates()).toHaveLength(1);
    const [sandbox] = e2b.sandboxes();
    expect(await readFile(join(sandbox?.workspaceDir ?? '', 'hello.sh'), 'utf8')).toBe(
      'echo "hello from $(pwd)"\n',
    );
    const toolResult = JSON.stringify(model.requests[2]?.body.messages);
    expect(toolResult).toContain('hello from /workspace');
    // The run is over: the sandbox is paused (files kept), not left running or killed.
    expect(sandbox?.state).toBe('paused');
  });
});
