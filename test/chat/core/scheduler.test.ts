import { describe, expect, it } from 'vitest';
import { createChannelScheduler, createThrottle } from '../../../src/chat/core/scheduler.js';

class RateLimited extends Error {
  constructor(readonly ms: number) {
    super('rate limited');
  }
}

describe('createChannelScheduler', () => {
  it('runs one channel in order, retries a rate-limited task after the asked wait, and holds the channel meanwhile', async () => {
    const order: string[] = [];
    let failures = 1;
    const scheduler = createChannelScheduler({
      retryAfterMs: (e) => (e instanceof RateLimited ? e.ms : undefined),
    });
    const started = Date.now();
    const first = scheduler.run('C1', async () => {
      if (failures-- > 0) throw new RateLimited(150);
      order.push(`first@${Date.now() - started >= 140 ? 'late' : 'early'}`);
    });
    const second = scheduler.run('C1', async () => {
      order.push('second');
    });
    const other = scheduler.run('C2', async () => {
      order.push('other');
    });
    await Promise.all([first, second, other]);
    expect(order).toEqual(['other', 'first@late', 'second']);
  });

  it('gives up after maxRetries and passes other errors through', async () => {
    const scheduler = createChannelScheduler({
      maxRetries: 1,
      retryAfterMs: (e) => (e instanceof RateLimited ? 1 : undefined),
    });
    await expect(scheduler.run('C', async () => Promise.reject(new RateLimited(1)))).rejects.toThrow(
      'rate limited',
    );
    await expect(scheduler.run('C', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await scheduler.run('C', async () => 42)).toBe(42);
  });
});

describe('createThrottle', () => {
  it('coalesces pokes, never overlaps runs, runs once after the last poke, and lets urgent pokes through', async () => {
    let runs = 0;
    let running = 0;
    let overlapped = false;
    const throttle = createThrottle(async () => {
      runs++;
      running++;
      if (running > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 20));
      running--;
    }, 200);
    throttle.poke({ immediate: true });
    for (let i = 0; i < 50; i++) throttle.poke();
    await throttle.flush();
    expect(runs).toBe(2);
    const before = Date.now();
    throttle.poke();
    throttle.poke({ immediate: true });
    await throttle.flush();
    expect(Date.now() - before).toBeLessThan(150);
    expect(overlapped).toBe(false);
    await throttle.cancel();
  });
});
