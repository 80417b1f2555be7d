/**
 * `npm run bench [-- name ...] [--smoke]`: runs the benchmarks, prints their tables and writes
 * every figure to bench/results/latest.json. Timings never fail the run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Bench = (options: { smoke?: boolean }) => Promise<Record<string, unknown>>;

/** name -> module (relative to this file) exporting `run`. Order = run order. */
export const BENCHES: Record<string, string> = {
  harness: './harness-bench.js',
  store: './store-bench.js',
  sandbox: './sandbox-bench.js',
  decoupling: './decoupling-bench.js',
  slack: './slack-bench.js',
  redis: './redis-bench.js',
  resume: './resume-bench.js',
  ttfv: './ttfv-bench.js',
  idle: './idle-bench.js',
  compaction: './compaction-bench.js',
};

export async function runBenches(names: string[], smoke: boolean): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const name of names) {
    const path = BENCHES[name];
    if (!path) throw new Error(`Unknown benchmark "${name}". Known: ${Object.keys(BENCHES).join(', ')}.`);
    const started = Date.now();
    // These machines are shared: the 1-minute load average next to each bench's figures.
    const load = Math.round(loadavg()[0]! * 10) / 10;
    try {
      const mod = (await import(path)) as { run: Bench };
      results[name] = {
        ...(await mod.run({ smoke })),
        seconds: Math.round((Date.now() - started) / 100) / 10,
        load_average_at_start: load,
      };
    } catch (error) {
      console.error(`benchmark ${name} failed: ${error instanceof Error ? error.stack : String(error)}`);
      results[name] = { error: error instanceof Error ? error.message : String(error) };
    }
  }
  return results;
}

async function main() {
  const args = process.argv.slice(2);
  const smoke = args.includes('--smoke');
  const names = args.filter((a) => !a.startsWith('--'));
  const selected = names.length > 0 ? names : Object.keys(BENCHES);
  const results = await runBenches(selected, smoke);
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    memory_gb: Math.round(totalmem() / 2 ** 30),
  };
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/bench/run.js -> <repo>/bench/results
  const dir = join(here, '..', '..', 'bench', 'results');
  const file = join(dir, smoke ? 'smoke.json' : 'latest.json');
  // A partial run (`npm run bench -- slack`) replaces those benches' figures and keeps the rest.
  let previous: { results?: Record<string, unknown>; ran_at?: Record<string, string> } = {};
  if (names.length > 0 && existsSync(file)) {
    try {
      previous = JSON.parse(readFileSync(file, 'utf8')) as typeof previous;
    } catch {
      previous = {};
    }
  }
  const ranAt = { ...(previous.ran_at ?? {}) };
  for (const name of selected) ranAt[name] = new Date().toISOString();
  const out = {
    date: new Date().toISOString(),
    machine,
    smoke,
    ran_at: ranAt,
    results: { ...previous.results, ...results },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote ${file}`);
  process.exit(0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
