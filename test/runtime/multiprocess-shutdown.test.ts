/**
 * Graceful shutdown of a worker process on Redis: SIGTERM in the middle of a tool call makes
 * the process stop taking work, give its lease back and exit 0; the session then finishes on
 * another worker with its log intact. A second signal during a slow shutdown exits at once.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSeq } from '../../src/events/ids.js';
import { createRedisStores, deleteRedisPrefix } from '../../src/store/redis/index.js';
import type { Stores } from '../../src/store/types.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { buildProc, type Proc, startProc } from './procs/build.js';

const REDIS_URL = process.env.THREADHAND_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'sk-ant-test-0000';
const TOOL_CALLS = 3;

type Msg = { type: string; pid: number; sessionId?: string; tag?: string };

function script(request: { body: { messages: Array<{ role: string; content: unknown }> } }) {
  const blocks = request.body.messages.flatMap((m) =>
    Array.isArray(m.content) ? (m.content as Array<{ type?: string }>) : [],
  );
  const results = blocks.filter((b) => b.type === 'tool_result').length;
  if (results < TOOL_CALLS)
    return { content: [{ type: 'tool_use' as const, name: 'step', input: { n: results + 1 } }] };
  return { content: [{ type: 'text' as const, text: 'all steps done' }] };
}

async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('graceful shutdown of worker processes', () => {
  let file: string;
  let fake: FakeAnthropic;
  let stores: Stores;
  const prefix = `th-test:${randomBytes(6).toString('hex')}:`;
  const procs: Array<Proc<Msg>> = [];
  const spawn = (role: string, extra: Record<string, string> = {}) => {
    const proc = startProc<Msg>(file, {
      REDIS_URL,
      PREFIX: prefix,
      ROLE: role,
      MODEL_URL: fake.url,
      MODEL_KEY: API_KEY,
      ...extra,
    });
    procs.push(proc);
    return proc;
  };

  beforeAll(async () => {
    file = await buildProc('threadhand-node');
    fake = await startFakeAnthropic({ apiKey: API_KEY, script: (request) => script(request) });
    stores = await createRedisStores({ url: REDIS_URL, prefix });
  }, 120_000);

  afterAll(async () => {
    for (const proc of procs)
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await stores?.close();
    await fake?.close();
    const admin = new Redis(REDIS_URL);
    await deleteRedisPrefix(admin, prefix);
    admin.disconnect();
  }, 120_000);

  it('SIGTERM mid tool call: the worker exits 0 and the session finishes elsewhere', {
    timeout: 180_000,
  }, async () => {
    const front = spawn('front');
    const first = spawn('worker', { TOOL_MS: '1500' });
    await Promise.all([front, first].map((p) => p.waitFor((m) => m.type === 'ready', 90_000)));
    front.child.send({ cmd: 'create', tag: 'graceful' });
    const { sessionId } = await front.waitFor((m) => m.type === 'created');
    await first.waitFor((m) => m.type === 'tool_start' && m.sessionId === sessionId);
    // The second worker starts only now, so the first one surely holds the session.
    const second = spawn('worker', { TOOL_MS: '100' });
    await second.waitFor((m) => m.type === 'ready', 90_000);

    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    const exit = await first.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(20_000);

    const done = await until(
      async () => {
        const session = await stores.log.getSession(sessionId!);
        return session?.status === 'idle' ? session : undefined;
      },
      90_000,
      'the session to finish on the other worker',
    );
    expect(done.stop_reason).toEqual({ type: 'end_turn' });
    const events = await stores.log.read(sessionId!);
    expect(events.map((e) => eventSeq(e.id))).toEqual(events.map((_, i) => i + 1));
    const uses = events.filter((e) => e.type === 'agent.tool_use');
    const results = events.filter((e) => e.type === 'agent.tool_result');
    expect(uses).toHaveLength(TOOL_CALLS);
    for (const use of uses)
      expect(results.filter((r) => r.type === 'agent.tool_result' && r.tool_use_id === use.id)).toHaveLength(
        1,
      );
    const answers = events.filter((e) => e.type === 'agent.message');
    expect(answers).toMatchObject([{ content: [{ type: 'text', text: 'all steps done' }] }]);
  });

  it('a second signal during a slow shutdown exits at once', { timeout: 120_000 }, async () => {
    const worker = spawn('worker', { SLOW_STOP_MS: '60000' });
    await worker.waitFor((m) => m.type === 'ready', 90_000);
    worker.child.kill('SIGTERM');
    // Let the first signal's shutdown begin (it then waits 60 s), then signal again.
    await until(
      async () => ((await stores.kv.get('never')) === undefined ? true : undefined),
      1000,
      'a round trip',
    );
    const t0 = Date.now();
    worker.child.kill('SIGTERM');
    const exit = await worker.exited;
    expect(exit.code).toBe(130);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
