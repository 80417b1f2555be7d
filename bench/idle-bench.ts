/**
 * Idle cost: RSS of one process holding N idle sessions, each bound to a chat thread and each
 * having finished one real turn through the harness and the fake model. Target: 10,000 idle
 * sessions < 200 MB. Idle sessions hold no memory by design: their state is the log.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSqliteStores } from '../src/store/sqlite/index.js';
import { startTestThreadhand } from '../test/helpers/threadhand.js';
import { printTable, round } from './stats.js';

const mb = (bytes: number) => round(bytes / 2 ** 20, 1);

/** The child's runnable file: compiled (`dist/bench`), or bundled from the `.ts` (vitest smoke run). */
async function childEntry(): Promise<string> {
  const here = dirname(fileURLToPath(import.meta.url));
  const compiled = join(here, 'idle-child.js');
  if (existsSync(compiled)) return compiled;
  const { build } = await import('esbuild');
  const outDir = join(here, '..', 'node_modules', '.cache', 'threadhand-bench');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `idle-child-${process.pid}.mjs`);
  await build({
    entryPoints: [join(here, 'idle-child.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  process.once('exit', () => rmSync(outfile, { force: true }));
  return outfile;
}

function settle() {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function run(options: { smoke?: boolean } = {}): Promise<Record<string, unknown>> {
  const count = options.smoke ? 100 : 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'th-idle-'));
  const t = await startTestThreadhand({
    dir,
    stores: createSqliteStores({ dir }),
    script: () => ({ content: [{ type: 'text', text: 'Hello! Nothing to do here.' }], chunkSize: 100 }),
    workerConcurrency: 32,
  });
  try {
    settle();
    const baseline = process.memoryUsage();
    const started = Date.now();
    const ids: string[] = [];
    const batch = 50;
    for (let i = 0; i < count; i += batch) {
      const created = await Promise.all(
        Array.from({ length: Math.min(batch, count - i) }, (_, j) =>
          t.th.runtime.createSession({
            binding: { platform: 'slack', thread: `T1:C1:${1_700_000_000 + i + j}.000100` },
            initialEvents: [{ type: 'user.message', content: [{ type: 'text', text: `hello ${i + j}` }] }],
          }),
        ),
      );
      ids.push(...created.map((s) => s.id));
      await Promise.all(created.map((s) => t.th.runtime.waitForIdle(s.id, { timeoutMs: 60_000 })));
      // The fake model lives in this process for convenience; its request log is not ours.
      t.fake.requests.length = 0;
    }
    const seconds = (Date.now() - started) / 1000;
    settle();
    const after = process.memoryUsage();
    const idle = (await t.th.stores.log.listSessions({ statuses: ['idle'], limit: 1 })).data.length > 0;
    await t.close();
    // A fresh process holding the same sessions: what an idle Threadhand really costs.
    const child = await childEntry();
    const fresh = JSON.parse(
      execFileSync(process.execPath, ['--expose-gc', child, dir], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .at(-1)!,
    ) as { rss: number; heapUsed: number; resumed: boolean };
    const rows = [
      {
        what: 'baseline (process with Threadhand started)',
        rss_mb: mb(baseline.rss),
        heap_used_mb: mb(baseline.heapUsed),
      },
      {
        what: `after ${count} idle sessions bound to threads`,
        rss_mb: mb(after.rss),
        heap_used_mb: mb(after.heapUsed),
      },
      {
        what: 'difference',
        rss_mb: mb(after.rss - baseline.rss),
        heap_used_mb: mb(after.heapUsed - baseline.heapUsed),
      },
      {
        what: `fresh process holding the ${count} sessions (one resumed: ${fresh.resumed})`,
        rss_mb: mb(fresh.rss),
        heap_used_mb: mb(fresh.heapUsed),
      },
    ];
    printTable(
      `Idle cost: ${count} idle sessions in one process (target: 10,000 < 200 MB RSS: ${mb(fresh.rss) < 200 ? 'met' : 'MISSED'} in a fresh process); ${round(count / seconds, 0)} sessions/s created and run`,
      rows,
    );
    return {
      sessions: count,
      fresh_process_rss_mb: mb(fresh.rss),
      fresh_process_heap_mb: mb(fresh.heapUsed),
      resumed: fresh.resumed,
      rss_mb: mb(after.rss),
      rss_delta_mb: mb(after.rss - baseline.rss),
      heap_used_mb: mb(after.heapUsed),
      sessions_per_second: round(count / seconds, 1),
      all_idle: idle && ids.length === count,
      gc_exposed: Boolean((globalThis as { gc?: unknown }).gc),
    };
  } finally {
    await t.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
