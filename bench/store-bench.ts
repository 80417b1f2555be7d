/**
 * SQLite store figures: append throughput and latency (our SessionLog vs raw better-sqlite3
 * inserts of the same rows), under `synchronous=NORMAL` and `FULL`, and replay time of 1k,
 * 10k and 100k-event sessions. Prints a table and returns the figures; never fails on timing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { eventId } from '../src/events/ids.js';
import type { NewEvent } from '../src/events/schema.js';
import {
  createSqliteStores,
  openDatabase,
  type SqliteSynchronous,
  synchronousMode,
} from '../src/store/sqlite/index.js';

let APPENDS = 5000;
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

async function timeAppends(synchronous: SqliteSynchronous) {
  const dir = mkdtempSync(join(tmpdir(), 'threadhand-bench-'));
  const stores = createSqliteStores({ dir, synchronous });
  try {
    const session = await stores.log.createSession({ agent_id: 'bench', environment_id: 'bench' });
    const samples: number[] = [];
    const started = performance.now();
    for (let i = 0; i < APPENDS; i += 1) {
      const t0 = performance.now();
      await stores.log.append(session.id, [message(i)]);
      samples.push(performance.now() - t0);
    }
    return latencyFigures(samples, performance.now() - started);
  } finally {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The floor: one autocommit INSERT per event, same table, same JSON, same pragmas. */
function timeRawInserts(synchronous: SqliteSynchronous) {
  const dir = mkdtempSync(join(tmpdir(), 'threadhand-bench-raw-'));
  const db = openDatabase({ dir, synchronous });
  try {
    const insert = db.prepare('INSERT INTO events (session_id, seq, id, type, json) VALUES (?, ?, ?, ?, ?)');
    const samples: number[] = [];
    const started = performance.now();
    for (let i = 0; i < APPENDS; i += 1) {
      const t0 = performance.now();
      const id = eventId(i + 1);
      const json = JSON.stringify({ id, ...message(i), processed_at: new Date().toISOString() });
      insert.run('sesn_raw', i + 1, id, 'agent.message', json);
      samples.push(performance.now() - t0);
    }
    return latencyFigures(samples, performance.now() - started);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timeReplays() {
  const dir = mkdtempSync(join(tmpdir(), 'threadhand-bench-replay-'));
  const stores = createSqliteStores({ dir });
  const raw = openDatabase({ dir });
  const rawRead = raw
    .prepare<[string], string>('SELECT json FROM events WHERE session_id = ? ORDER BY seq')
    .pluck();
  try {
    const figures: Array<{ events: number; readMs: number; rawReadMs: number }> = [];
    for (const size of REPLAY_SIZES) {
      const session = await stores.log.createSession({ agent_id: 'bench', environment_id: 'bench' });
      for (let done = 0; done < size; done += 1000) {
        await stores.log.append(
          session.id,
          Array.from({ length: Math.min(1000, size - done) }, (_, i) => message(done + i)),
        );
      }
      const best = (fn: () => unknown) => {
        let min = Number.POSITIVE_INFINITY;
        for (let k = 0; k < 3; k += 1) {
          const t0 = performance.now();
          fn();
          min = Math.min(min, performance.now() - t0);
        }
        return min;
      };
      let readMs = Number.POSITIVE_INFINITY;
      for (let k = 0; k < 3; k += 1) {
        const t0 = performance.now();
        const events = await stores.log.read(session.id);
        readMs = Math.min(readMs, performance.now() - t0);
        if (events.length !== size) throw new Error(`replay read ${events.length} of ${size} events`);
      }
      const rawReadMs = best(() => rawRead.all(session.id).map((json) => JSON.parse(json) as unknown));
      figures.push({ events: size, readMs, rawReadMs });
    }
    return figures;
  } finally {
    raw.close();
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => (n < 10 ? n.toFixed(3) : n.toFixed(1));

export async function run(options: { smoke?: boolean } = {}): Promise<Record<string, unknown>> {
  // Smoke run (npm test): same code paths, tiny sizes.
  APPENDS = options.smoke ? 200 : 5000;
  REPLAY_SIZES = options.smoke ? [1_000] : [1_000, 10_000, 100_000];
  const appends: Record<string, unknown> = {};
  const rows: string[][] = [];
  for (const level of ['NORMAL', 'FULL'] as const) {
    const dir = mkdtempSync(join(tmpdir(), 'threadhand-bench-mode-'));
    const probe = openDatabase({ dir, synchronous: level });
    const inForce = synchronousMode(probe);
    probe.close();
    rmSync(dir, { recursive: true, force: true });
    const ours = await timeAppends(level);
    const raw = timeRawInserts(level);
    const overhead = ours.p50Ms / raw.p50Ms;
    appends[level] = { synchronous: inForce, sessionLog: ours, rawInsert: raw, p50OverheadRatio: overhead };
    rows.push([
      `append (synchronous=${inForce})`,
      `${ours.eventsPerSecond} ev/s`,
      `p50 ${fmt(ours.p50Ms)} ms, p95 ${fmt(ours.p95Ms)} ms`,
      `raw ${raw.eventsPerSecond} ev/s, p50 ${fmt(raw.p50Ms)} ms; overhead x${overhead.toFixed(2)}`,
    ]);
  }
  const replays = await timeReplays();
  for (const replay of replays) {
    rows.push([
      `replay ${replay.events} events`,
      `${fmt(replay.readMs)} ms`,
      `${Math.round((replay.events / replay.readMs) * 1000)} ev/s`,
      `raw SELECT+JSON.parse ${fmt(replay.rawReadMs)} ms; overhead x${(replay.readMs / replay.rawReadMs).toFixed(2)}`,
    ]);
  }
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`SQLite store bench (${APPENDS} single-event appends; default synchronous=NORMAL)`);
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  return { appends, replays, appendsMeasured: APPENDS, defaultSynchronous: 'NORMAL' };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run(), null, 2));
}
