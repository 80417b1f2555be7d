import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/store/types.js';
import { type MakeStores, type StoresFixture, waitFor } from './helpers.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

/** The WakeQueue contract (see `src/store/types.ts`), run unchanged by every implementation. */
export function describeQueueContract(name: string, makeStores: MakeStores): void {
  describe(`WakeQueue contract: ${name}`, () => {
    let fixture: StoresFixture;
    let stores: Stores;
    beforeEach(async () => {
      fixture = await makeStores();
      stores = fixture.stores;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('runs the handler for an enqueued session, also when enqueued before consume', async () => {
      const runs: string[] = [];
      await stores.queue.enqueue('sesn_q0');
      stores.queue.consume(async (id) => {
        runs.push(id);
      });
      await stores.queue.enqueue('sesn_q1');
      await waitFor(() => runs.includes('sesn_q0') && runs.includes('sesn_q1'), 'both wakes');
    });

    it('runs again when a wake is enqueued while the session is running', async () => {
      const runs: number[] = [];
      const first = gate();
      let active = 0;
      let overlapped = false;
      stores.queue.consume(async () => {
        active += 1;
        if (active > 1) overlapped = true;
        runs.push(Date.now());
        if (runs.length === 1) await first.opened;
        active -= 1;
      });
      await stores.queue.enqueue('sesn_again');
      await waitFor(() => runs.length === 1, 'the first run to start');
      await stores.queue.enqueue('sesn_again');
      await stores.queue.enqueue('sesn_again');
      first.open();
      await waitFor(() => runs.length >= 2 && active === 0, 'a second run after the first');
      expect(overlapped).toBe(false);
      expect(runs.length).toBeLessThanOrEqual(3);
    });

    it('runs different sessions concurrently up to the concurrency', async () => {
      const release = gate();
      let active = 0;
      let peak = 0;
      const done: string[] = [];
      stores.queue.consume(
        async (id) => {
          active += 1;
          peak = Math.max(peak, active);
          await release.opened;
          active -= 1;
          done.push(id);
        },
        { concurrency: 2 },
      );
      for (const id of ['sesn_c1', 'sesn_c2', 'sesn_c3']) await stores.queue.enqueue(id);
      await waitFor(() => active === 2, 'two handlers running');
      release.open();
      await waitFor(() => done.length === 3, 'all three wakes');
      expect(peak).toBe(2);
    });

    it('keeps going after a handler fails', async () => {
      const runs: string[] = [];
      stores.queue.consume(async (id) => {
        runs.push(id);
        if (id === 'sesn_bad') throw new Error('boom');
      });
      await stores.queue.enqueue('sesn_bad');
      await waitFor(() => runs.length === 1, 'the failing run');
      await stores.queue.enqueue('sesn_good');
      await waitFor(() => runs.includes('sesn_good'), 'the next wake');
    });

    it('close waits for a running handler', async () => {
      const release = gate();
      let started = false;
      let finished = false;
      stores.queue.consume(async () => {
        started = true;
        await release.opened;
        finished = true;
      });
      await stores.queue.enqueue('sesn_close');
      await waitFor(() => started, 'the handler to start');
      let closed = false;
      const closing = stores.queue.close().then(() => {
        closed = true;
      });
      await new Promise((resolve) => setImmediate(resolve));
      expect(closed).toBe(false);
      release.open();
      await closing;
      expect(finished).toBe(true);
    });
  });
}
