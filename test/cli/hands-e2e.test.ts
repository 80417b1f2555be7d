import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { createTestIo, createWorkspace } from './helpers.js';

let fake: FakeAnthropic;
let ws: Awaited<ReturnType<typeof createWorkspace>>;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-test' });
  ws = await createWorkspace();
  // The shipped default agent: full toolset, always_allow.
  await writeFile(
    join(ws.agentsDir, 'coder.yaml'),
    readFileSync(join(process.cwd(), 'agents', 'default.yaml'), 'utf8').replace(/^name: .*$/m, 'name: coder'),
  );
  env = {
    ANTHROPIC_API_KEY: 'sk-test',
    ANTHROPIC_BASE_URL: fake.url,
    THREADHAND_AGENTS_DIR: ws.agentsDir,
    THREADHAND_DATA_DIR: ws.dataDir,
    PATH: process.env.PATH,
    HOME: process.env.HOME,
  };
});
afterEach(async () => {
  await fake.close();
  await ws.cleanup();
});

/** The text of the newest tool_result the model was sent. */
const lastToolResult = (f: FakeAnthropic) => {
  const messages = f.requests.at(-1)?.body.messages as {
    content: { type: string; content?: { text: string }[] }[];
  }[];
  const results = messages
    .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
    .filter((b) => b.type === 'tool_result');
  return JSON.stringify(results.at(-1)?.content ?? []);
};

describe('threadhand run with the real local sandbox (default wiring)', () => {
  it('writes hello.py and runs it; a later send in the same session sees the file', async () => {
    fake.setScript([
      {
        content: [
          {
            type: 'tool_use',
            name: 'write',
            input: { file_path: '/workspace/hello.py', content: 'print(6 * 7)\n' },
          },
        ],
      },
      { content: [{ type: 'tool_use', name: 'bash', input: { command: 'python3 hello.py' } }] },
      { content: [{ type: 'text', text: 'hello.py prints 42.' }] },
      { content: [{ type: 'tool_use', name: 'bash', input: { command: 'ls /workspace && cat hello.py' } }] },
      { content: [{ type: 'text', text: 'The file is still there.' }] },
    ]);
    const run = createTestIo(env);
    expect(
      await runCli(['run', '--agent', 'coder', 'create hello.py that prints 42 and run it'], run.io),
    ).toBe(0);
    expect(run.out()).toContain('hello.py prints 42.');
    expect(lastToolResult(fake)).toContain('42');
    const sessionId = /session (sesn_\S+)/.exec(run.out())?.[1] ?? '';
    const file = join(ws.dataDir, 'workspaces', sessionId, 'hello.py');
    expect(existsSync(file)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('print(6 * 7)\n');

    const send = createTestIo(env);
    expect(await runCli(['sessions', 'send', sessionId, 'is the file still there?'], send.io)).toBe(0);
    expect(lastToolResult(fake)).toContain('print(6 * 7)');
    expect(send.out()).toContain('The file is still there.');
  });

  it('an unrestricted sandbox cannot reach services on the host loopback (Threadhand API, the model fake)', async () => {
    const port = new URL(fake.url).port;
    fake.setScript([
      {
        content: [
          {
            type: 'tool_use',
            name: 'bash',
            input: {
              command: `curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:${port}/v1/messages; echo " exit=$?"`,
            },
          },
        ],
      },
      { content: [{ type: 'text', text: 'checked' }] },
    ]);
    const run = createTestIo(env);
    expect(await runCli(['run', '--agent', 'coder', 'probe the host'], run.io)).toBe(0);
    const result = lastToolResult(fake);
    expect(result).toMatch(/exit=[1-9]/);
    // The fake saw only the model's two requests, nothing from inside the sandbox.
    expect(fake.requests.every((r) => r.headers['user-agent']?.startsWith('Anthropic/JS'))).toBe(true);
    expect(fake.requests).toHaveLength(2);
  });
});
