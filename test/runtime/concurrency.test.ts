/**
 * How many sessions one worker runs at once: `THREADHAND_WORKER_CONCURRENCY` caps it, the
 * default lets a team's burst of mentions all start at once, and nothing waiting is lost.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestThreadhand, type TestThreadhand, text, until } from '../helpers/threadhand.js';

const TURN_MS = 400;

describe('worker concurrency', () => {
  let t: TestThreadhand | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function burst(env: Record<string, string>, count: number, turnMs: number): Promise<number[]> {
    t = await startTestThreadhand({
      env: { ...process.env, ...env },
      script: () => ({ content: [{ type: 'text', text: 'Done.' }], firstTokenDelayMs: turnMs }),
    });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await t.th.runtime.createSession({})).id);
    const sent = performance.now();
    await Promise.all(ids.map((id) => t!.th.runtime.send(id, [text('go')])));
    const fake = t.fake;
    await until(() => fake.requests.length >= count, 10_000, 'every session to reach the model');
    for (const id of ids) {
      await until(
        async () => (await t!.events(id)).some((e) => e.type === 'session.status_idle'),
        10_000,
        `session ${id} to finish`,
      );
    }
    // Each request's arrival at the model, relative to the burst.
    return fake.requests.map((r) => r.receivedAtMs - sent).sort((a, b) => a - b);
  }

  it('THREADHAND_WORKER_CONCURRENCY=2: two sessions run at once, the others wait and then run', async () => {
    const arrivals = await burst({ THREADHAND_WORKER_CONCURRENCY: '2' }, 4, TURN_MS);
    expect(arrivals).toHaveLength(4);
    // The third and fourth start only after a first turn (at least TURN_MS) has finished.
    expect(arrivals[2]! - arrivals[0]!).toBeGreaterThanOrEqual(TURN_MS - 50);
  });

  it('by default a burst of 20 sessions all reach the model before any turn ends', async () => {
    // Long turns, so a loaded machine's slower ingress cannot pass for queueing.
    const arrivals = await burst({}, 20, 3 * TURN_MS);
    expect(arrivals).toHaveLength(20);
    expect(arrivals[19]! - arrivals[0]!).toBeLessThan(3 * TURN_MS);
  });
});
