/**
 * End to end: a real Threadhand (harness, built-in tools, SQLite log) whose environment says
 * `provider: e2b`, the fake model asking to write a script and run it, the fake E2B holding
 * the sandbox. The session's first message-only turn creates no sandbox; the tool turn does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/events/schema.js';
import { createBuiltinToolset } from '../../src/tools/builtin/index.js';
import { type FakeE2B, startFakeE2B } from '../fakes/e2b/index.js';
import { startTestThreadhand, type TestThreadhand, text } from '../helpers/threadhand.js';
import { makeE2BProvider } from './e2b-helpers.js';

let fake: FakeE2B;
let t: TestThreadhand;

beforeAll(async () => {
  fake = await startFakeE2B();
  const { provider } = makeE2BProvider(fake);
  t = await startTestThreadhand({
    agents: [{ name: 'coder', model: 'claude-test', tools: [{ type: 'agent_toolset_20260401' }] }],
    environments: [{ name: 'e2b-example', provider: 'e2b' }],
    sandboxProviders: [provider],
    toolSources: [
      async (ctx) => ({ tools: createBuiltinToolset({ agent: ctx.agent, environment: ctx.environment }) }),
    ],
    script: [
      { content: [{ type: 'text', text: 'Hello! What should I build?' }] },
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
      { content: [{ type: 'text', text: 'Done: the script says hello.' }] },
    ],
  });
});
afterAll(async () => {
  await t?.close();
  await fake?.close();
});

const toolResults = (events: SessionEvent[]) =>
  events.filter((e) => e.type === 'agent.tool_result').map((e) => JSON.stringify(e));

describe('Threadhand on E2B (fakes)', () => {
  it('creates no sandbox for a message-only turn, then writes and runs a file in E2B', async () => {
    const session = await t.th.runtime.createSession({ agent: 'coder', environment: 'e2b-example' });
    await t.th.runtime.send(session.id, [text('hi')]);
    await t.th.runtime.waitForIdle(session.id, { timeoutMs: 20_000 });
    expect(fake.creates()).toHaveLength(0);

    await t.th.runtime.send(session.id, [text('write a hello script and run it')]);
    let events: SessionEvent[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      events = await t.events(session.id);
      if (events.filter((e) => e.type === 'session.status_idle').length >= 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const results = toolResults(events);
    expect(results).toHaveLength(2);
    expect(results[1]).toContain('hello from /workspace');
    expect(fake.creates()).toHaveLength(1);
    const [sandbox] = fake.sandboxes();
    expect(readFileSync(join(sandbox?.workspaceDir ?? '', 'hello.sh'), 'utf8')).toBe(
      'echo "hello from $(pwd)"\n',
    );
    expect(sandbox?.metadata.threadhand_session).toBe(session.id);
  });
});
