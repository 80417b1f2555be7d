import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { collectFollow, newSession, textOf, waitFor } from './helpers.js';

// The writer runs as plain JS in real child processes, so it is bundled first (dependencies
// stay external and resolve from this repo's node_modules, next to the bundle).
const bundleDir = resolve('node_modules/.cache/threadhand-test');
const bundle = join(bundleDir, `sqlite-writer-${process.pid}.mjs`);

function runWriter(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stderr }));
  });
}

describe('SQLite log shared by several OS processes', () => {
  let dir: string;
  beforeAll(async () => {
    mkdirSync(bundleDir, { recursive: true });
    await build({
      entryPoints: [resolve('test/store/fixtures/sqlite-writer.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      outfile: bundle,
      logLevel: 'error',
    });
    dir = mkdtempSync(join(tmpdir(), 'threadhand-procs-'));
  });
  afterAll(() => {
    rmSync(bundle, { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('4 writer processes x 1000 appends: nothing lost, one order, a follower here sees all', async () => {
    const stores = createSqliteStores({ dir, pollIntervalMs: 50 });
    try {
      const sessionId = await newSession(stores.log);
      const controller = new AbortController();
      const follower = collectFollow(stores.log.follow(sessionId, { after: '$', signal: controller.signal }));
      const results = await Promise.all(
        [0, 1, 2, 3].map((w) => runWriter([dir, sessionId, String(w), '1000'])),
      );
      for (const result of results) expect(result).toEqual({ code: 0, stderr: '' });

      const events = await stores.log.read(sessionId);
      expect(events).toHaveLength(4000);
      const ids = events.map((e) => e.id);
      expect(new Set(ids).size).toBe(4000);
      expect([...ids].sort()).toEqual(ids);
      const next = [0, 0, 0, 0];
      for (const event of events) {
        const [w, i] = textOf(event).slice(1).split(':').map(Number) as [number, number];
        expect(i).toBe(next[w]);
        next[w] = i + 1;
      }
      await waitFor(() => follower.events().length === 4000, 'the follower to see all 4000 events');
      controller.abort();
      await follower.done;
      expect(follower.events()).toEqual(events);
      expect(await stores.log.getSession(sessionId)).toMatchObject({
        event_count: 4000,
        last_event_id: ids[3999],
      });
    } finally {
      await stores.close();
    }
  });
});
