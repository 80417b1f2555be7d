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
  env = {
    ANTHROPIC_API_KEY: 'sk-test',
    ANTHROPIC_BASE_URL: fake.url,
    THREADHAND_AGENTS_DIR: ws.agentsDir,
    THREADHAND_DATA_DIR: ws.dataDir,
    PATH: process.env.PATH,
  };
});
afterEach(async () => {
  await fake.close();
  await ws.cleanup();
});

const usage = {
  input_tokens: 1000,
  output_tokens: 50,
  cache_read_input_tokens: 4000,
  cache_creation_input_tokens: 0,
};

describe('sessions trace and budget', () => {
  it('trace prints the run, each model request and the tool call in order, with usage', async () => {
    fake.setScript([
      { content: [{ type: 'tool_use', name: 'lookup_weather', input: { city: 'Oslo' } }], usage },
      { content: [{ type: 'text', text: 'Cold.' }], usage },
    ]);
    const run = createTestIo(env);
    await runCli(['run', 'weather in Oslo?'], run.io);
    const sessionId = /session (sesn_\S+)/.exec(run.out())?.[1] ?? '';
    const pending = /threadhand sessions respond (sesn_\S+) (sevt_\S+) --result/.exec(run.err());
    expect(
      await runCli(
        ['sessions', 'respond', sessionId, pending?.[2] ?? '', '--result', 'minus five'],
        createTestIo(env).io,
      ),
    ).toBe(0);

    const t = createTestIo(env);
    expect(await runCli(['sessions', 'trace', sessionId], t.io)).toBe(0);
    const lines = t.out().split('\n');
    const order = lines.map((l) => /^\s*(run|model|tool)\s/.exec(l)?.[1]).filter(Boolean);
    expect(order).toEqual(['run', 'model', 'tool', 'run', 'model']);
    expect(t.out()).toContain('lookup_weather');
    expect(t.out()).toContain('5000 in (4000 cached) / 50 out');
    expect(t.out()).toMatch(/10k in, 8.0k cached, 100 out · 1 tool call/);
  });

  it('budget shows and raises a session limit, and refuses nonsense', async () => {
    fake.setScript([{ content: [{ type: 'text', text: 'hi' }], usage }]);
    const run = createTestIo(env);
    await runCli(['run', 'hello'], run.io);
    const sessionId = /session (sesn_\S+)/.exec(run.out())?.[1] ?? '';
    const set = createTestIo(env);
    expect(await runCli(['sessions', 'budget', sessionId, '--max-tool-calls', '25'], set.io)).toBe(0);
    expect(set.out()).toContain('max_tool_calls: 25');
    expect(set.out()).toContain('Updated.');
    const bad = createTestIo(env);
    expect(await runCli(['sessions', 'budget', sessionId, '--max-tokens', 'lots'], bad.io)).toBe(2);
    expect(bad.err()).toContain('--max-tokens must be a positive number');
  });
});
