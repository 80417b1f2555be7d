/**
 * Scale-out under failure: 2 front processes and 3 workers (real child processes running
 * `createThreadhand` on one Redis), 30 sessions of several tool calls each through the fake
 * model, while a chaos loop kill -9s a worker in the middle of a tool call and starts a
 * replacement. Every session must end idle with end_turn, its log in one order with nothing
 * missing or duplicated, and every tool_use answered exactly once.
 */
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSeq } from '../../src/events/ids.js';
import type { SessionEvent } from '../../src/events/schema.js';
import { createRedisStores, deleteRedisPrefix } from '../../src/store/redis/index.js';
import type { LogItem, Stores } from '../../src/store/types.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { buildProc, type Proc, startProc } from './procs/build.js';

const REDIS_URL = process.env.THREADHAND_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'sk-ant-test-0000';
const SESSIONS = 30;
const TOOL_CALLS = 4;
const KILLS = 4;
const FIRST_WAVE = 10; // then four more waves of 4 while killing, the last 4 after

type Msg = { type: string; pid: number; sessionId?: string; tag?: string; n?: number; message?: string };

function textOf(block: unknown): string {
  return typeof block === 'object' && block !== null && 'text' in block ? String(block.text) : '';
}

/** The model: asks for `step` until the conversation holds TOOL_CALLS results, then answers. */
function script(request: { body: { messages: Array<{ role: string; content: unknown }> } }) {
  const messages = request.body.messages;
  const blocks = messages.flatMap((m) =>
    Array.isArray(m.content) ? (m.content as unknown[]) : [{ type: 'text', text: m.content }],
  );
  const tag = textOf(messages.find((m) => m.role === 'user') && blocks[0]);
  const results = blocks.filter(
    (b) => typeof b === 'object' && b !== null && (b as { type?: string }).type === 'tool_result',
  ).length;
  if (results < TOOL_CALLS) {
    return {
      content: [
        { type: 'text' as const, text: `Step ${results + 1}.` },
        { type: 'tool_use' as const, name: 'step', input: { n: results + 1 } },
      ],
    };
  }
  return { content: [{ type: 'text' as const, text: `done ${tag}` }] };
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

describe('multi-process scale-out on Redis', () => {
  let file: string;
  let fake: FakeAnthropic;
  let stores: Stores;
  const prefix = `th-test:${randomBytes(6).toString('hex')}:`;
  const procs: Array<Proc<Msg>> = [];

  function spawn(role: 'front' | 'worker'): Proc<Msg> {
    const proc = startProc<Msg>(file, {
      REDIS_URL,
      PREFIX: prefix,
      ROLE: role,
      MODEL_URL: fake.url,
      MODEL_KEY: API_KEY,
      TOOL_MS: '300',
      LEASE_TTL_MS: '2000',
    });
    procs.push(proc);
    return proc;
  }

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
    if (process.env.KEEP_PREFIX) console.log('kept', prefix);
    else await deleteRedisPrefix(admin, prefix);
    admin.disconnect();
  }, 120_000);

  it('every session of 30 reaches end_turn intact while workers are kill -9ed mid tool call', {
    timeout: 240_000,
  }, async () => {
    const fronts = [spawn('front'), spawn('front')];
    let workers = [spawn('worker'), spawn('worker'), spawn('worker')];
    await Promise.all([...fronts, ...workers].map((p) => p.waitFor((m) => m.type === 'ready', 90_000)));

    // Sessions enter through both front doors, in waves so work keeps flowing while workers die.
    const ids: string[] = [];
    const controller = new AbortController();
    setMaxListeners(SESSIONS + 10, controller.signal);
    const followed = new Map<string, LogItem[]>();
    const following: Array<Promise<void>> = [];
    let created = 0;
    async function createWave(count: number): Promise<void> {
      const tags = Array.from({ length: count }, () => `task-${created++}`);
      for (const [i, tag] of tags.entries()) fronts[i % 2]!.child.send({ cmd: 'create', tag });
      const replies = await Promise.all(
        tags.map((tag, i) =>
          fronts[i % 2]!.waitFor((m) => (m.type === 'created' || m.type === 'error') && m.tag === tag),
        ),
      );
      expect(replies.filter((m) => m.type === 'error')).toEqual([]);
      for (const reply of replies) {
        const id = reply.sessionId!;
        ids.push(id);
        // A live follower per session, from the start, as a front door would render it.
        followed.set(id, []);
        following.push(
          (async () => {
            for await (const item of stores.log.follow(id, { signal: controller.signal }))
              followed.get(id)!.push(item);
          })(),
        );
      }
    }
    const waveSize = (SESSIONS - FIRST_WAVE) / (KILLS + 1);
    let wave = createWave(FIRST_WAVE);

    // Chaos: kill -9 a worker the moment it starts a tool call, then start a replacement.
    const killed: Array<{ pid: number; sessionId: string }> = [];
    for (let k = 0; k < KILLS; k += 1) {
      const seen = new Map(workers.map((w) => [w, w.messages.length]));
      if (k > 0) wave = createWave(waveSize);
      const { victim, message } = await until(
        () => {
          const order = [...workers].sort(() => Math.random() - 0.5);
          for (const w of order) {
            const fresh = w.messages.slice(seen.get(w)).find((m) => m.type === 'tool_start');
            if (fresh) return { victim: w, message: fresh };
          }
          return undefined;
        },
        60_000,
        `a worker to start a tool call (kill ${k + 1})`,
      );
      victim.child.kill('SIGKILL');
      await victim.exited;
      killed.push({ pid: victim.child.pid!, sessionId: message.sessionId! });
      const replacement = spawn('worker');
      workers = [...workers.filter((w) => w !== victim), replacement];
      await Promise.all([replacement.waitFor((m) => m.type === 'ready', 90_000), wave]);
    }
    await createWave(SESSIONS - ids.length);
    expect(ids).toHaveLength(SESSIONS);

    const finals = await until(
      async () => {
        const sessions = await Promise.all(ids.map((id) => stores.log.getSession(id)));
        const done = sessions.every((s) => s?.status === 'idle' && s.stop_reason?.type === 'end_turn');
        return done ? sessions : undefined;
      },
      150_000,
      'all 30 sessions to end idle with end_turn',
    );
    expect(finals).toHaveLength(SESSIONS);
    expect(killed).toHaveLength(KILLS);

    let interrupted = 0;
    for (const [i, id] of ids.entries()) {
      const tag = `task-${i}`;
      const events = await stores.log.read(id);
      // One order, nothing missing, nothing twice: ids are seq 1..n in order and unique.
      expect(events.map((e) => eventSeq(e.id))).toEqual(events.map((_, j) => j + 1));
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      // Every tool_use has exactly one result; every result answers a tool_use.
      const uses = events.filter(
        (e): e is Extract<SessionEvent, { type: 'agent.tool_use' }> => e.type === 'agent.tool_use',
      );
      const results = events.filter(
        (e): e is Extract<SessionEvent, { type: 'agent.tool_result' }> => e.type === 'agent.tool_result',
      );
      expect(uses).toHaveLength(TOOL_CALLS);
      for (const use of uses) expect(results.filter((r) => r.tool_use_id === use.id)).toHaveLength(1);
      expect(results).toHaveLength(uses.length);
      interrupted += results.filter((r) => r.is_error).length;
      // One answer, and the log ends with it and the idle status.
      const answers = events.filter(
        (e) => e.type === 'agent.message' && textOf(e.content[0]).startsWith('done'),
      );
      expect(answers.map((e) => (e.type === 'agent.message' ? textOf(e.content[0]) : ''))).toEqual([
        `done ${tag}`,
      ]);
      expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
      // The live follower saw exactly the stored log, in the same order.
      await until(
        () => (followed.get(id)!.length >= events.length ? true : undefined),
        10_000,
        `follower of ${id}`,
      );
      expect(followed.get(id)!.map((item) => (item.kind === 'event' ? item.event.id : 'delta'))).toEqual(
        events.map((e) => e.id),
      );
    }
    // The kills really landed mid tool call: those calls were answered as interrupted, not re-run.
    expect(interrupted).toBeGreaterThanOrEqual(1);
    controller.abort();
    await Promise.all(following);
  });
});
