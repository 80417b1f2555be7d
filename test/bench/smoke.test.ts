/**
 * Smoke run of every benchmark (`run({ smoke: true })`: tiny sizes, seconds each) so they
 * cannot rot. No assertion on any time: only that each bench ran its side-by-side and
 * returned its figures. The real figures come from `npm run bench` (bench/README.md).
 */
import { describe, expect, it, vi } from 'vitest';
import { run as compaction } from '../../bench/compaction-bench.js';
import { run as decoupling } from '../../bench/decoupling-bench.js';
import { run as harness } from '../../bench/harness-bench.js';
import { run as idle } from '../../bench/idle-bench.js';
import { run as redis } from '../../bench/redis-bench.js';
import { run as resume } from '../../bench/resume-bench.js';
import { BENCHES } from '../../bench/run.js';
import { run as sandbox } from '../../bench/sandbox-bench.js';
import { run as slack } from '../../bench/slack-bench.js';
import { run as store } from '../../bench/store-bench.js';
import { run as ttfv } from '../../bench/ttfv-bench.js';

const smoke = { smoke: true };
const figure = expect.any(Number);

// The benches print their tables; keep the test output readable.
vi.spyOn(console, 'log').mockImplementation(() => {});

describe('benchmarks (smoke run)', () => {
  it('every bench the runner knows is smoke-tested here', () => {
    expect(Object.keys(BENCHES).sort()).toEqual(
      [
        'compaction',
        'decoupling',
        'harness',
        'idle',
        'redis',
        'resume',
        'sandbox',
        'slack',
        'store',
        'ttfv',
      ].sort(),
    );
  });

  it('harness: Threadhand, the bare SDK loop and claude-agent-sdk (or why it cannot run)', {
    timeout: 60_000,
  }, async () => {
    const r = (await harness(smoke)) as Record<string, { n?: number; unavailable?: string }>;
    expect(r.threadhand_normal?.n).toBeGreaterThan(0);
    expect(r.bare?.n).toBeGreaterThan(0);
    const peer = r.claude_agent_sdk!;
    expect(peer.unavailable ?? peer.n).toBeTruthy();
  });

  it('store: SessionLog vs raw better-sqlite3', { timeout: 30_000 }, async () => {
    const r = await store(smoke);
    expect(r.replays).toEqual([expect.objectContaining({ events: 1000, readMs: figure, rawReadMs: figure })]);
  });

  it('redis: SessionLog vs raw XADD/XRANGE', { timeout: 30_000 }, async () => {
    const r = await redis(smoke);
    expect(r.replays).toEqual([expect.objectContaining({ events: 1000, readMs: figure, rawReadMs: figure })]);
  });

  it('sandbox: local bwrap sandbox vs raw bwrap', { timeout: 30_000 }, async () => {
    const r = (await sandbox(smoke)) as { rows: Array<{ n: number }> };
    expect(r.rows.every((row) => row.n > 0)).toBe(true);
  });

  it('decoupling: lazy vs eager provisioning', { timeout: 60_000 }, async () => {
    const r = (await decoupling(smoke)) as { scenarios: Array<{ ratio: { p50: number } }> };
    expect(r.scenarios).toHaveLength(2);
    expect(r.scenarios.every((s) => Number.isFinite(s.ratio.p50))).toBe(true);
  });

  it('slack: Threadhand vs the Chat SDK on the same fake Slack', { timeout: 60_000 }, async () => {
    const r = (await slack(smoke)) as Record<string, { calls: number; firstTextMs: number | null }>;
    expect(r.threadhand?.firstTextMs).not.toBeNull();
    expect(r.chatSdk?.firstTextMs).not.toBeNull();
  });

  it('resume: wake of a long session, SQLite and Redis', { timeout: 60_000 }, async () => {
    const r = (await resume(smoke)) as Record<string, { wake?: { n: number } }>;
    expect(r.sqlite?.wake?.n).toBeGreaterThan(0);
    expect(r.redis?.wake?.n).toBeGreaterThan(0);
  });

  it('ttfv: Slack event to first visible text, embedded and Redis with worker processes', {
    timeout: 120_000,
  }, async () => {
    const r = (await ttfv(smoke)) as { results: Array<{ overhead: { n: number } }> };
    expect(r.results).toHaveLength(2);
    expect(r.results.every((x) => x.overhead.n > 0)).toBe(true);
  });

  it('compaction: context size with and without compaction', { timeout: 30_000 }, async () => {
    const r = await compaction(smoke);
    expect(r).toMatchObject({ turns: 30, max_tokens_without: figure, max_tokens_with: figure });
  });

  it('idle: idle sessions in one process and a fresh one that resumes one', { timeout: 60_000 }, async () => {
    const r = await idle(smoke);
    expect(r).toMatchObject({ sessions: 100, resumed: true, all_idle: true, fresh_process_rss_mb: figure });
  });
});
