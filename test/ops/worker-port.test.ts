/**
 * A `--role worker` process opens no API, but given a port (THREADHAND_WORKER_PORT / --port) it
 * serves /healthz, /readyz and /metrics, so split deployments can probe and scrape the processes
 * that actually run the turns.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createRedisStores, deleteRedisPrefix } from '../../src/store/redis/index.js';
import { startTestThreadhand, type TestThreadhand, text } from '../helpers/threadhand.js';

const REDIS_URL = process.env.THREADHAND_REDIS_URL ?? 'redis://127.0.0.1:6379';
let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe('worker health and metrics port', () => {
  it('a worker given a port serves health, readiness and metrics that count its turns, and no API', async () => {
    const prefix = `th-test:${randomBytes(4).toString('hex')}:`;
    cleanup.push(async () => {
      const admin = new Redis(REDIS_URL);
      await deleteRedisPrefix(admin, prefix);
      admin.disconnect();
    });
    const front: TestThreadhand = await startTestThreadhand({
      role: 'front',
      stores: await createRedisStores({ url: REDIS_URL, prefix }),
    });
    cleanup.push(async () => {
      await front.close();
    });
    const worker: TestThreadhand = await startTestThreadhand({
      role: 'worker',
      stores: await createRedisStores({ url: REDIS_URL, prefix }),
      http: { host: '127.0.0.1', port: 0 },
      script: [{ content: [{ type: 'text', text: 'Done on the worker.' }] }],
    });
    cleanup.push(async () => {
      await worker.close();
    });
    const url = worker.th.http?.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    // No API on a worker: sessions are made through a front door.
    expect((await fetch(`${url}/v1/sessions`)).status).toBe(404);

    const session = await front.th.runtime.createSession({ agent: 'test', environment: 'default' });
    await front.th.runtime.send(session.id, [text('go')]);
    await front.th.runtime.waitForIdle(session.id, { timeoutMs: 15_000 });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^threadhand_turns_total\{stop_reason="end_turn"\} 1$/m);
    expect(metrics).toMatch(/^threadhand_model_request_duration_seconds_count\{outcome="ok"\} 1$/m);
  });
});
