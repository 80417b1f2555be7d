/**
 * Redis store figures: Streams append throughput and latency (our SessionLog's Lua append vs a
 * raw XADD of the same JSON), appends from concurrent writers, and replay time of 1k, 10k and
 * 100k-event sessions (log.read vs raw XRANGE + JSON.parse). With `scaleOut` it also measures
 * sessions/second and time-to-first-token overhead with 1 and 3 worker processes (real child
 * processes running `createThreadhand`, the fake model server in this process). Prints a table
 * and returns the figures; never fails on timing.
 * Needs Redis at THREADHAND_REDIS_URL (default redis://127.0.0.1:6379); uses a throwaway prefix.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { eventId } from '../src/events/ids.js';
import type { NewEvent } from '../src/events/schema.js';
import { createRedisStores, deleteRedisPrefix } from '../src/store/redis/index.js';
import type { Stores } from '../src/store/types.js';

let APPENDS = 5000;
const WRITERS = 8;
let REPLAY_SIZES = [1_000, 10_000, 100_000];
const TEXT = 'I looked at the failing test: the fixture path is relative to the working directory. '.repeat(
  3,
);

function message(i: number): NewEvent {
  return { type: 'agent.message', content: [{ type: 'text', text: `${i} ${TEXT}` }] };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function latencyFigures(samplesMs: number[], totalMs: number) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    eventsPerSecond: Math.round((samplesMs.length / totalMs) * 1000),
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
  };
}

async function timeAppends(stores: Stores) {
  const session = await stores.log.createSession({ agent_id: 'bench', environment_id: 'bench' });
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < APPENDS; i += 1) {
    const t0 = performance.now();
    await stores.log.append(session.id, [message(i)]);
    samples.push(performance.now() - t0);
  }
  return latencyFigures(samples, performance.now() - started);
}

/** Many writers on one session (one total order kept by the script): aggregate throughput. */
async function timeConcurrentAppends(stores: Stores) {
  const session = await stores.log.createSession({ agent_id: 'bench', environment_id: 'bench' });
  const per = Math.floor(APPENDS / WRITERS);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < per; i += 1) await stores.log.append(session.id, [message(w * per + i)]);
    }),
  );
  const ms = performance.now() - started;
  return {
    writers: WRITERS,
    events: per * WRITERS,
    eventsPerSecond: Math.round(((per * WRITERS) / ms) * 1000),
  };
}

/** The floor: XADD of the same JSON with an explicit id, one round trip per event. */
async function timeRawXadd(redis: Redis, key: string) {
  const samples: number[] = [];
  const started = performance.now();
  for (let i = 0; i < APPENDS; i += 1) {
    const t0 = performance.now();
    const json = JSON.stringify({
      id: eventId(i + 1),
      processed_at: new Date().toISOString(),
      ...message(i),
    });
    await redis.xadd(key, `0-${i + 1}`, 'e', json);
    samples.push(performance.now() - t0);
  }
  return latencyFigures(samples, performance.now() - started);
}

async function timeReplays(stores: Stores, redis: Redis, prefix: string) {
  const figures: Array<{ events: number; readMs: number; rawReadMs: number }> = [];
  for (const size of REPLAY_SIZES) {
    const session = await stores.log.createSession({ agent_id: 'bench', environment_id: 'bench' });
    for (let done = 0; done < size; done += 1000) {
      await stores.log.append(
        session.id,
        Array.from({ length: Math.min(1000, size - done) }, (_, i) => message(done + i)),
      );
    }
    let readMs = Number.POSITIVE_INFINITY;
    let rawReadMs = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 3; k += 1) {
      const t0 = performance.now();
      const events = await stores.log.read(session.id);
      readMs = Math.min(readMs, performance.now() - t0);
      if (events.length !== size) throw new Error(`replay read ${events.length} of ${size} events`);
      const t1 = performance.now();
      const entries = await redis.xrange(`${prefix}s:${session.id}:log`, '-', '+');
      entries.map(([, fields]) => JSON.parse(fields[1]!) as unknown);
      rawReadMs = Math.min(rawReadMs, performance.now() - t1);
    }
    figures.push({ events: size, readMs, rawReadMs });
    await stores.log.deleteSession(session.id);
  }
  return figures;
}

const SCALE_SESSIONS = 40;
const TTFT_SESSIONS = 15;
const SCALE_WORKERS = [1, 3];
const ANSWER = 'Here is the short answer you asked for, streamed in small pieces like a real model. '.repeat(
  2,
);

interface ScaleFigures {
  workers: number;
  sessions: number;
  sessionsPerSecond: number;
  /** TTFT while the whole burst is queued (includes waiting for a free worker). */
  burstTtftP50Ms: number;
  burstTtftP95Ms: number;
  /** TTFT of sessions started one at a time. */
  ttftP50Ms: number;
  ttftP95Ms: number;
  overheadP50Ms: number;
  overheadP95Ms: number;
}

/** The model's own time to first token: straight to the fake server, no Threadhand. */
async function modelTtft(modelUrl: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const t0 = performance.now();
    const response = await fetch(`${modelUrl}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-api-key': 'sk-ant-bench',
        'anthropic-version': '2023-06-01',
      },
      body: JSON.stringify({
        model: 'claude-test',
        max_tokens: 100,
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const reader = response.body!.getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
      if (text.includes('content_block_delta')) {
        samples.push(performance.now() - t0);
        await reader.cancel();
        break;
      }
    }
  }
  return samples;
}

type FrontProcess = Awaited<ReturnType<typeof import('../src/main.js').createThreadhand>>;

/** From createSession (first message included) to the first streamed text a follower sees. */
async function timeOneSession(front: FrontProcess, stores: Stores, text: string): Promise<number> {
  const t0 = performance.now();
  const session = await front.runtime.createSession({
    agent: 'chaos',
    environment: 'default',
    initialEvents: [{ type: 'user.message', content: [{ type: 'text', text }] }],
  });
  const controller = new AbortController();
  let first: number | undefined;
  for await (const item of stores.log.follow(session.id, { deltas: true, signal: controller.signal })) {
    const visible = item.kind === 'delta' || item.event.type === 'agent.message';
    if (visible && first === undefined) first = performance.now() - t0;
    if (item.kind === 'event' && item.event.type === 'session.status_idle') controller.abort();
  }
  return first ?? Number.NaN;
}

/**
 * Sessions/second and time to first token as a chat user sees it: from `createSession` with
 * the first message (in a front process, this one) to the first streamed delta reaching a
 * follower, through Redis, the wake queue and a worker process.
 */
export async function runScaleOut(url: string): Promise<ScaleFigures[]> {
  const { buildProc, startProc } = await import('../test/runtime/procs/build.js');
  const { startFakeAnthropic } = await import('../test/fakes/anthropic/server.js');
  const { staticCatalog } = await import('../test/helpers/threadhand.js');
  const { AgentConfig, EnvironmentConfig } = await import('../src/config/schema.js');
  const { createModelClient } = await import('../src/harness/model/client.js');
  const { createThreadhand } = await import('../src/main.js');
  const { silentLogger } = await import('../src/logging.js');
  const fake = await startFakeAnthropic({
    script: () => ({ content: [{ type: 'text', text: ANSWER }] }),
    chunkSize: 16,
  });
  const file = await buildProc('threadhand-node');
  const baseline = await modelTtft(fake.url);
  const sortedBaseline = [...baseline].sort((a, b) => a - b);
  const figures: ScaleFigures[] = [];
  try {
    for (const count of SCALE_WORKERS) {
      const prefix = `th-bench:${randomBytes(4).toString('hex')}:`;
      const stores = await createRedisStores({ url, prefix });
      const env = {
        REDIS_URL: url,
        PREFIX: prefix,
        ROLE: 'worker',
        MODEL_URL: fake.url,
        MODEL_KEY: 'sk-ant-bench',
      };
      const workers = Array.from({ length: count }, () => startProc<{ type: string }>(file, env));
      const front = await createThreadhand({
        role: 'front',
        logger: silentLogger(),
        stores,
        catalog: staticCatalog(
          [AgentConfig.parse({ name: 'chaos', model: 'claude-test' })],
          [EnvironmentConfig.parse({ name: 'default' })],
        ),
        model: createModelClient({ apiKey: 'sk-ant-bench', baseURL: fake.url }),
        toolSources: [],
        sandboxProviders: [],
        http: false,
      });
      try {
        await Promise.all(workers.map((w) => w.waitFor((m) => m.type === 'ready', 90_000)));
        await front.start();
        // TTFT with sessions arriving one at a time: what one user waits, Threadhand's overhead.
        const ttfts: number[] = [];
        for (let i = 0; i < TTFT_SESSIONS; i += 1)
          ttfts.push(await timeOneSession(front, stores, `single ${i}`));
        // Throughput: a burst of sessions at once, until the last one is idle.
        const started = performance.now();
        const burst = await Promise.all(
          Array.from({ length: SCALE_SESSIONS }, (_, i) => timeOneSession(front, stores, `burst ${i}`)),
        );
        const seconds = (performance.now() - started) / 1000;
        const sorted = [...ttfts].sort((a, b) => a - b);
        const sortedBurst = [...burst].sort((a, b) => a - b);
        figures.push({
          workers: count,
          sessions: SCALE_SESSIONS,
          sessionsPerSecond: SCALE_SESSIONS / seconds,
          burstTtftP50Ms: percentile(sortedBurst, 50),
          burstTtftP95Ms: percentile(sortedBurst, 95),
          ttftP50Ms: percentile(sorted, 50),
          ttftP95Ms: percentile(sorted, 95),
          overheadP50Ms: percentile(sorted, 50) - percentile(sortedBaseline, 50),
          overheadP95Ms: percentile(sorted, 95) - percentile(sortedBaseline, 95),
        });
      } finally {
        await front.stop();
        for (const w of workers) w.child.kill('SIGTERM');
        await Promise.all(workers.map((w) => w.exited));
        await stores.close();
        const admin = new Redis(url);
        await deleteRedisPrefix(admin, prefix);
        admin.disconnect();
      }
    }
  } finally {
    await fake.close();
  }
  return figures;
}

const fmt = (n: number) => (n < 10 ? n.toFixed(3) : n.toFixed(1));

export interface RedisBenchOptions {
  url?: string;
  /** Also run the multi-process sessions/second and TTFT figures (1 and 3 workers). */
  scaleOut?: boolean;
  /** Smoke run (npm test): same code paths, tiny sizes, no multi-process scale-out. */
  smoke?: boolean;
}

export async function run(options: RedisBenchOptions = {}): Promise<Record<string, unknown>> {
  const url = options.url ?? process.env.THREADHAND_REDIS_URL ?? 'redis://127.0.0.1:6379';
  APPENDS = options.smoke ? 200 : 5000;
  REPLAY_SIZES = options.smoke ? [1_000] : [1_000, 10_000, 100_000];
  const prefix = `th-bench:${randomBytes(4).toString('hex')}:`;
  const stores = await createRedisStores({ url, prefix });
  const redis = new Redis(url);
  const rows: string[][] = [];
  try {
    const ours = await timeAppends(stores);
    const raw = await timeRawXadd(redis, `${prefix}raw`);
    const concurrent = await timeConcurrentAppends(stores);
    const overhead = ours.p50Ms / raw.p50Ms;
    rows.push([
      'append (Lua: fence+seq+XADD+row)',
      `${ours.eventsPerSecond} ev/s`,
      `p50 ${fmt(ours.p50Ms)} ms, p95 ${fmt(ours.p95Ms)} ms`,
      `raw XADD ${raw.eventsPerSecond} ev/s, p50 ${fmt(raw.p50Ms)} ms; overhead x${overhead.toFixed(2)}`,
    ]);
    rows.push([`append, ${WRITERS} concurrent writers`, `${concurrent.eventsPerSecond} ev/s`, '', '']);
    const replays = await timeReplays(stores, redis, prefix);
    for (const replay of replays) {
      rows.push([
        `replay ${replay.events} events`,
        `${fmt(replay.readMs)} ms`,
        `${Math.round((replay.events / replay.readMs) * 1000)} ev/s`,
        `raw XRANGE+JSON.parse ${fmt(replay.rawReadMs)} ms; overhead x${(replay.readMs / replay.rawReadMs).toFixed(2)}`,
      ]);
    }
    let scaleOut: unknown;
    if (options.scaleOut ?? (!options.smoke && process.env.THREADHAND_BENCH_SCALE_OUT !== '0')) {
      const figures = await runScaleOut(url);
      scaleOut = figures;
      for (const f of figures) {
        rows.push([
          `${f.workers} worker(s): ${f.sessions} sessions`,
          `${f.sessionsPerSecond.toFixed(1)} sessions/s`,
          `TTFT p50 ${fmt(f.ttftP50Ms)} ms, p95 ${fmt(f.ttftP95Ms)} ms (burst p50 ${fmt(f.burstTtftP50Ms)} ms)`,
          `overhead over the model's own TTFT: p50 ${fmt(f.overheadP50Ms)} ms, p95 ${fmt(f.overheadP95Ms)} ms`,
        ]);
      }
    }
    const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
    console.log(`Redis store bench (${APPENDS} single-event appends, ${url.replace(/\/\/.*@/, '//')})`);
    for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
    return {
      appends: { sessionLog: ours, rawXadd: raw, p50OverheadRatio: overhead, concurrent },
      replays,
      appendsMeasured: APPENDS,
      ...(scaleOut ? { scaleOut } : {}),
    };
  } finally {
    await stores.close();
    await deleteRedisPrefix(redis, prefix);
    redis.disconnect();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
