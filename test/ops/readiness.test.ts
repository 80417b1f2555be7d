/**
 * /healthz and /readyz while the store comes and goes: a private redis-server on a free port
 * (never the shared one on 6379) is stopped and started under a running Threadhand.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logging.js';
import { createThreadhand, type Threadhand } from '../../src/main.js';
import { until } from '../helpers/threadhand.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  await until(
    () => output.includes('Ready to accept connections') || child.exitCode !== null,
    10_000,
    'redis-server to start',
  );
  if (child.exitCode !== null) throw new Error(`redis-server exited: ${output}`);
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  cleanup = [];
});

describe('/readyz follows the store', () => {
  it('flips to 503 naming the store when Redis stops, and back to 200 when it returns; /healthz stays 200', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    cleanup.push(() => stopRedis(redis));
    const th: Threadhand = await createThreadhand({
      env: {
        THREADHAND_REDIS_URL: `redis://127.0.0.1:${port}`,
        ANTHROPIC_API_KEY: 'sk-ant-unused',
        ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      },
      role: 'front',
      logger: silentLogger(),
      http: false,
      toolSources: [],
      sandboxProviders: [],
      agentsDir: '/nonexistent-threadhand-agents',
    });
    await th.start();
    cleanup.push(() => th.stop());

    const ready = async () => {
      const res = await th.app.request('/readyz');
      return {
        status: res.status,
        body: (await res.json()) as { status: string; problems?: Record<string, string>; checks?: string[] },
      };
    };
    const first = await ready();
    expect(first.status).toBe(200);
    expect(first.body.checks).toContain('store');

    await stopRedis(redis);
    const down = await until(
      async () => {
        const r = await ready();
        return r.status === 503 ? r : undefined;
      },
      20_000,
      '/readyz to report the store down',
    );
    expect(down.body.status).toBe('not_ready');
    expect(Object.keys(down.body.problems ?? {})).toEqual(['store']);
    expect((await th.app.request('/healthz')).status).toBe(200);

    redis = await startRedis(port);
    await until(async () => (await ready()).status === 200 || undefined, 30_000, '/readyz to recover');
  });

  it('lists the front doors and names one that is not connected', { timeout: 30_000 }, async () => {
    const { startFakeSlack } = await import('../fakes/slack/web-api.js');
    const { startTestThreadhand } = await import('../helpers/threadhand.js');
    const slack = await startFakeSlack();
    cleanup.push(() => slack.close());
    const t = await startTestThreadhand({
      env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 's', SLACK_API_URL: slack.apiUrl },
    });
    cleanup.push(() => t.close());
    const ok = await t.th.app.request('/readyz');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { checks: string[] }).checks).toEqual(
      expect.arrayContaining(['store', 'worker', 'slack']),
    );
    await t.th.services.find((s) => s.name === 'slack')?.stop();
    const down = await t.th.app.request('/readyz');
    expect(down.status).toBe(503);
    expect(((await down.json()) as { problems: Record<string, string> }).problems).toEqual({
      slack: 'slack: stopped',
    });
  });
});
