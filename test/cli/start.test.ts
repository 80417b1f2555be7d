import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { createTestIo, createWorkspace, until } from './helpers.js';

let fake: FakeAnthropic;
let ws: Awaited<ReturnType<typeof createWorkspace>>;
beforeEach(async () => {
  fake = await startFakeAnthropic();
  ws = await createWorkspace();
});
afterEach(async () => {
  await fake.close();
  await ws.cleanup();
});

describe('threadhand start', () => {
  it('serves HTTP, logs what is enabled, and stops cleanly on a signal', async () => {
    const t = createTestIo({
      ANTHROPIC_API_KEY: 'k',
      ANTHROPIC_BASE_URL: fake.url,
      THREADHAND_AGENTS_DIR: ws.agentsDir,
      THREADHAND_DATA_DIR: ws.dataDir,
      THREADHAND_LOG_LEVEL: 'info',
    });
    const running = runCli(['start', '--port', '0'], t.io);
    const line = await until(() =>
      t
        .err()
        .split('\n')
        .find((l) => l.includes('"threadhand started"')),
    );
    const started = JSON.parse(line) as {
      url: string;
      role: string;
      store: string;
      agents: string[];
      environments: string[];
      services: string[];
      slack: boolean;
    };
    expect(started).toMatchObject({
      role: 'all',
      store: 'sqlite',
      agents: ['tester'],
      environments: ['default'],
      slack: false,
    });
    expect(started.services).toContain('worker');
    const health = await fetch(`${started.url}/healthz`);
    expect(health.status).toBe(200);
    t.signal('SIGTERM');
    expect(await running).toBe(0);
    expect(t.err()).toContain('"stopping"');
    await expect(fetch(`${started.url}/healthz`)).rejects.toThrow();
  });

  it('refuses to start without an API key, in one sentence', async () => {
    const t = createTestIo({ THREADHAND_AGENTS_DIR: ws.agentsDir, THREADHAND_DATA_DIR: ws.dataDir });
    expect(await runCli(['start'], t.io)).toBe(2);
    expect(t.err()).toMatch(/^ANTHROPIC_API_KEY is not set: [^\n]+\n$/);
  });
});
