/**
 * What `threadhand sessions show` and the API session object report: cost at the effective
 * price table (the operator's `THREADHAND_PRICES_FILE` included), cache writes, and the
 * sandbox's active time as recorded in the log (by E2B itself, by the harness for local).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { createTestIo } from '../cli/helpers.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { type FakeE2B, startFakeE2B } from '../fakes/e2b/index.js';
import { startTestThreadhand, type TestThreadhand } from '../helpers/threadhand.js';

const AGENTS = {
  'priced.yaml': 'name: priced\nmodel: claude-sonnet-4-6\n',
  'coder.yaml': 'name: coder\nmodel: claude-test\ntools:\n  - type: agent_toolset_20260401\n',
};
// Cheap to compute by hand: $100 per million input tokens, $1000 output, $50 cache write.
const PRICES = 'claude-sonnet-4-6: { input: 100, output: 1000, cache_read: 0, cache_write: 50 }\n';
const usage = {
  input_tokens: 10_000,
  output_tokens: 1000,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 2000,
};

let model: FakeAnthropic;
let e2b: FakeE2B;
let root: string;
let env: NodeJS.ProcessEnv;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  model = await startFakeAnthropic();
  e2b = await startFakeE2B();
  // The E2B SDK reads its endpoints from the process environment.
  for (const [key, value] of Object.entries(e2b.env)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  root = await mkdtemp(join(tmpdir(), 'threadhand-cost-'));
  await mkdir(join(root, 'agents', 'environments'), { recursive: true });
  for (const [file, yaml] of Object.entries(AGENTS)) await writeFile(join(root, 'agents', file), yaml);
  await writeFile(join(root, 'agents', 'environments', 'local.yaml'), 'name: default\nprovider: local\n');
  await writeFile(join(root, 'agents', 'environments', 'e2b.yaml'), 'name: e2b-test\nprovider: e2b\n');
  await writeFile(join(root, 'prices.yaml'), PRICES);
  env = {
    ...e2b.env,
    ANTHROPIC_API_KEY: 'sk-ant-test',
    ANTHROPIC_BASE_URL: model.url,
    THREADHAND_AGENTS_DIR: join(root, 'agents'),
    THREADHAND_DATA_DIR: join(root, 'data'),
    PATH: process.env.PATH,
  };
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

async function cli(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const io = createTestIo({ ...env, ...extraEnv });
  const code = await runCli(args, io.io);
  return { code, out: io.out(), err: io.err() };
}

describe('sessions show', () => {
  it('prices cost with the operator prices file and lists cache writes', async () => {
    model.setScript([{ content: [{ type: 'text', text: 'Hi.' }], usage }]);
    const run = await cli(['run', '--agent', 'priced', 'hello']);
    expect(run.code).toBe(0);
    const sessionId = /session (sesn_\S+)/.exec(run.out)?.[1] ?? '';

    // Shipped Sonnet prices: (10,000 * $3 + 1,000 * $15 + 2,000 * $3.75) / 1M = $0.0525.
    const shipped = await cli(['sessions', 'show', sessionId]);
    expect(shipped.out).toMatch(
      /usage {4}10,000 in · 1,000 out · 0 cache read · 2,000 cache write · \$0\.05 \(1 model request, 0 tool calls\)/,
    );
    // Prices file: (10,000 * $100 + 1,000 * $1000 + 2,000 * $50) / 1M = $2.10.
    const overridden = await cli(['sessions', 'show', sessionId], {
      THREADHAND_PRICES_FILE: join(root, 'prices.yaml'),
    });
    expect(overridden.out).toContain('2,000 cache write · $2.10 (1 model request, 0 tool calls)');
    expect(overridden.out).not.toContain('$0.05');
    expect(overridden.out).toMatch(/time {5}[\d.]+s running · no sandbox/);
  });

  it('the end-of-turn footer of `threadhand run` follows the prices file too', async () => {
    model.setScript([{ content: [{ type: 'text', text: 'Hi.' }], usage }]);
    const shipped = await cli(['run', '--agent', 'priced', 'hello']);
    expect(shipped.code).toBe(0);
    expect(shipped.out).toContain('$0.05');
    model.setScript([{ content: [{ type: 'text', text: 'Hi.' }], usage }]);
    const overridden = await cli(['run', '--agent', 'priced', 'hello'], {
      THREADHAND_PRICES_FILE: join(root, 'prices.yaml'),
    });
    expect(overridden.code).toBe(0);
    expect(overridden.out).toContain('$2.10');
    expect(overridden.out).not.toContain('$0.05');
  });

  it('shows the E2B sandbox active time the provider recorded in the log', async () => {
    model.setScript([
      { content: [{ type: 'tool_use', name: 'bash', input: { command: 'echo hi' } }] },
      { content: [{ type: 'text', text: 'Done.' }] },
    ]);
    const run = await cli(['run', '--agent', 'coder', '--env', 'e2b-test', 'say hi']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const sessionId = /session (sesn_\S+)/.exec(run.out)?.[1] ?? '';
    const log = (await cli(['sessions', 'show', sessionId, '--json'])).out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; operation?: string; active_seconds?: number });
    const stints = log.filter((e) => e.type === 'span.sandbox_operation' && e.active_seconds !== undefined);
    // The run is over, so E2B paused the sandbox and reported how long it ran.
    expect(stints.map((e) => e.operation)).toEqual(['pause']);
    const seconds = Math.round(stints.reduce((sum, e) => sum + (e.active_seconds ?? 0), 0) * 1000) / 1000;

    const show = await cli(['sessions', 'show', sessionId]);
    expect(show.out).toMatch(new RegExp(`time {5}[\\d.]+s running · sandbox ${seconds}s active\\n`));
  });

  it('shows the local sandbox active time: the harness records what each run used', async () => {
    model.setScript([
      { content: [{ type: 'tool_use', name: 'bash', input: { command: 'sleep 0.5' } }] },
      { content: [{ type: 'text', text: 'Slept.' }] },
    ]);
    const run = await cli(['run', '--agent', 'coder', '--env', 'default', 'sleep a bit']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    // The end-of-turn footer of `threadhand run` shows the turn's sandbox time too.
    const footer = /— done · .* · sandbox (\d+\.\d)s\n/.exec(run.out);
    expect(footer).not.toBeNull();
    expect(Number(footer?.[1])).toBeGreaterThanOrEqual(0.5);
    const sessionId = /session (sesn_\S+)/.exec(run.out)?.[1] ?? '';

    const show = await cli(['sessions', 'show', sessionId]);
    expect(show.out).not.toContain('sandbox time not recorded');
    const active = /time {5}[\d.]+s running · sandbox ([\d.]+)s active\n/.exec(show.out);
    expect(active).not.toBeNull();
    expect(Number(active?.[1])).toBeGreaterThanOrEqual(0.5);
  });

  it('a turn that used no sandbox shows no sandbox time in the `threadhand run` footer', async () => {
    model.setScript([{ content: [{ type: 'text', text: 'Hi.' }], usage }]);
    const run = await cli(['run', '--agent', 'priced', 'hello']);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/— done · .*\$0\.05\n/);
    expect(run.out).not.toContain('sandbox');
  });
});

describe('API session cost', () => {
  let t: TestThreadhand | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('follows the prices file', async () => {
    t = await startTestThreadhand({
      agents: [{ name: 'default', model: 'claude-sonnet-4-6' }],
      script: [{ content: [{ type: 'text', text: 'Hi.' }], usage }],
      http: { host: '127.0.0.1', port: 0 },
      env: { THREADHAND_API_KEYS: 'cost-key', THREADHAND_PRICES_FILE: join(root, 'prices.yaml') },
    });
    const client = new Anthropic({ baseURL: t.th.http?.url as string, apiKey: 'cost-key', maxRetries: 0 });
    const session = await client.beta.sessions.create({ agent: 'default', environment_id: 'default' });
    const stream = await client.beta.sessions.events.stream(session.id);
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'hello' }] }],
    });
    for await (const event of stream) if (event.type === 'session.status_idle') break;
    const read = await client.beta.sessions.retrieve(session.id);
    expect(read.usage.list_cost).toEqual({ amount: '210', currency: 'USD' });
    const extension = (
      read as unknown as { threadhand: { cost_usd: number; sandbox_active_seconds: unknown } }
    ).threadhand;
    expect(extension.cost_usd).toBeCloseTo(2.1, 10);
    expect(extension.sandbox_active_seconds).toBe(0);
  });

  it('reports the local sandbox active time in `threadhand.sandbox_active_seconds`', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'threadhand-cost-api-'));
    try {
      t = await startTestThreadhand({
        dir,
        dataDir: dir,
        agents: [{ name: 'default', model: 'claude-test', tools: [{ type: 'agent_toolset_20260401' }] }],
        script: [
          { content: [{ type: 'tool_use', name: 'bash', input: { command: 'sleep 0.5' } }] },
          { content: [{ type: 'text', text: 'Slept.' }] },
        ],
        // The real built-in tools and sandbox providers (the helper's defaults are none).
        toolSources: undefined,
        sandboxProviders: undefined,
        http: { host: '127.0.0.1', port: 0 },
        env: { THREADHAND_API_KEYS: 'cost-key', PATH: process.env.PATH },
      });
      const client = new Anthropic({ baseURL: t.th.http?.url as string, apiKey: 'cost-key', maxRetries: 0 });
      const session = await client.beta.sessions.create({ agent: 'default', environment_id: 'default' });
      const stream = await client.beta.sessions.events.stream(session.id);
      await client.beta.sessions.events.send(session.id, {
        events: [{ type: 'user.message', content: [{ type: 'text', text: 'sleep a bit' }] }],
      });
      for await (const event of stream) if (event.type === 'session.status_idle') break;
      const read = await client.beta.sessions.retrieve(session.id);
      const extension = (read as unknown as { threadhand: { sandbox_active_seconds: number | null } })
        .threadhand;
      expect(extension.sandbox_active_seconds).toBeGreaterThanOrEqual(0.5);
    } finally {
      await t?.close();
      t = undefined;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
