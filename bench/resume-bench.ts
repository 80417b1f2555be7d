/**
 * Resume time of a long session: a session whose log already holds N events (2,000 tool turns
 * written straight into the store) gets a new message; we time `harness.wake` from the call to
 * the moment the fake model receives the rebuilt request (lease, status event, full log read,
 * context rebuild, request serialisation). SQLite and Redis. Target: 10k events < 100 ms.
 * Side by side: the store's raw `log.read` of the same events (the floor any design pays when
 * state lives in a log) and a bare SDK request carrying the same messages (serialisation floor).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import type { NewEvent } from '../src/events/schema.js';
import type { Stores } from '../src/store/types.js';
import { startTestThreadhand, TEST_API_KEY } from '../test/helpers/threadhand.js';
import { printTable, ratio, round, summary } from './stats.js';

const TEXT = 'Checked the fixture path; it is relative to the working directory, so the test fails in CI.';

/** Appends `count` events as tool turns (5 events each), as a real harness would have written them. */
async function fill(stores: Stores, sessionId: string, count: number): Promise<void> {
  await stores.log.append(sessionId, [
    { type: 'user.message', content: [{ type: 'text', text: 'fix the failing test' }] },
  ]);
  let written = 1;
  let turn = 0;
  while (written < count - 1) {
    turn += 1;
    const [start, , use] = await stores.log.append(sessionId, [
      { type: 'span.model_request_start' },
      { type: 'agent.message', content: [{ type: 'text', text: `${turn} ${TEXT}` }] },
      { type: 'agent.tool_use', name: 'bash', input: { command: `grep -rn fixture test/${turn}` } },
    ] as NewEvent[]);
    await stores.log.append(sessionId, [
      {
        type: 'agent.tool_result',
        tool_use_id: use!.id,
        content: [{ type: 'text', text: `test/${turn}.ts:12: fixture` }],
      },
      {
        type: 'span.model_request_end',
        model_request_start_id: start!.id,
        is_error: false,
        model_usage: {
          input_tokens: 1000,
          output_tokens: 40,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
        },
      },
    ] as NewEvent[]);
    written += 5;
  }
  await stores.log.append(sessionId, [
    { type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null },
  ] as NewEvent[]);
}

interface ResumeFigures {
  store: string;
  events: number;
  wake: number[];
  read: number[];
  bareRequest: number[];
}

async function measure(store: 'sqlite' | 'redis', events: number, rounds: number): Promise<ResumeFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'th-resume-'));
  let stores: Stores;
  let cleanup = async () => {};
  if (store === 'sqlite') {
    const { createSqliteStores } = await import('../src/store/sqlite/index.js');
    stores = createSqliteStores({ dir });
  } else {
    const { createRedisStores, deleteRedisPrefix } = await import('../src/store/redis/index.js');
    const { Redis } = await import('ioredis');
    const url = process.env.THREADHAND_REDIS_URL ?? 'redis://127.0.0.1:6379';
    const prefix = `th-bench:${randomBytes(4).toString('hex')}:`;
    stores = await createRedisStores({ url, prefix });
    cleanup = async () => {
      const admin = new Redis(url);
      await deleteRedisPrefix(admin, prefix);
      admin.disconnect();
    };
  }
  // Not started: no worker consumes the wake queue, so the only wake is the one we time.
  const t = await startTestThreadhand({
    dir,
    stores,
    start: false,
    script: () => ({ content: [{ type: 'text', text: 'Resumed.' }], chunkSize: 1000 }),
  });
  const figures: ResumeFigures = { store, events, wake: [], read: [], bareRequest: [] };
  const client = new Anthropic({ apiKey: TEST_API_KEY, baseURL: t.fake.url, maxRetries: 0 });
  try {
    const session = await t.th.runtime.createSession({});
    await fill(stores, session.id, events);
    for (let i = 0; i < rounds; i++) {
      await stores.log.append(session.id, [
        { type: 'user.message', content: [{ type: 'text', text: `and now? ${i}` }] },
      ]);
      const t0 = performance.now();
      const logRead = await stores.log.read(session.id);
      figures.read.push(performance.now() - t0);
      const before = t.fake.requests.length;
      const started = performance.now();
      const woke = t.th.harness.wake(session.id);
      const [request] = (await t.fake.waitForRequests(before + 1, 60_000)).slice(before);
      figures.wake.push(request!.receivedAtMs - started);
      const outcome = await woke;
      if (outcome !== 'ran') throw new Error(`wake returned ${outcome}`);
      if (i === 0 && logRead.length < events)
        throw new Error(`log holds ${logRead.length} of ${events} events`);
      // The same request body sent by a bare SDK client: JSON + HTTP, no log, no rebuild.
      const { stream: _stream, ...params } = request!.body as Anthropic.MessageCreateParamsStreaming;
      const b0 = performance.now();
      const sent = t.fake.requests.length;
      const stream = client.messages.stream(params);
      await t.fake.waitForRequests(sent + 1, 60_000);
      figures.bareRequest.push(t.fake.requests[sent]!.receivedAtMs - b0);
      await stream.finalMessage();
    }
  } finally {
    await t.close();
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

export async function run(options: { smoke?: boolean } = {}): Promise<Record<string, unknown>> {
  const events = options.smoke ? 1_000 : 10_000;
  const rounds = options.smoke ? 2 : 7;
  const out: Record<string, unknown> = { events, rounds, target_ms: 100 };
  const rows: Record<string, unknown>[] = [];
  for (const store of ['sqlite', 'redis'] as const) {
    const f = await measure(store, events, rounds);
    // The first wake also warms caches (prepared statements, JIT); report it separately.
    const cold = f.wake[0]!;
    const wake = summary(f.wake.slice(1).length > 0 ? f.wake.slice(1) : f.wake);
    const read = summary(f.read);
    const bare = summary(f.bareRequest);
    out[store] = {
      wake,
      cold_wake_ms: round(cold),
      raw_read: read,
      bare_sdk_request: bare,
      ratio_wake_vs_read_p50: ratio(wake.p50, read.p50),
    };
    rows.push({
      store,
      'wake -> request p50 ms': wake.p50,
      'p95 ms': wake.p95,
      'first wake ms': round(cold),
      'peer: log.read p50 ms': read.p50,
      'peer: bare SDK request ms': bare.p50,
      'wake vs read': ratio(wake.p50, read.p50),
      target: wake.p50 < 100 ? 'met (< 100 ms)' : 'MISSED (>= 100 ms)',
    });
  }
  printTable(
    `Resume a ${events}-event session: harness.wake until the model receives the request (${rounds} rounds; target < 100 ms)`,
    rows,
  );
  return out;
}
