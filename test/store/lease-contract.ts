import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/store/types.js';
import { type MakeStores, openPeerOf, type StoresFixture, waitFor } from './helpers.js';

/** The LeaseManager contract (see `src/store/types.ts`), run unchanged by every implementation. */
export function describeLeaseContract(name: string, makeStores: MakeStores): void {
  describe(`LeaseManager contract: ${name}`, () => {
    let fixture: StoresFixture;
    let stores: Stores;
    beforeEach(async () => {
      fixture = await makeStores();
      stores = fixture.stores;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('gives a free session to one holder at a time', async () => {
      const a = await stores.leases.acquire('sesn_l1', 'worker-a', 30_000);
      expect(a).toMatchObject({ sessionId: 'sesn_l1', owner: 'worker-a' });
      expect(await stores.leases.acquire('sesn_l1', 'worker-b', 30_000)).toBeNull();
      expect(await stores.leases.acquire('sesn_l2', 'worker-b', 30_000)).not.toBeNull();
      await stores.leases.release(a!);
      const b = await stores.leases.acquire('sesn_l1', 'worker-b', 30_000);
      expect(b!.token).toBeGreaterThan(a!.token);
    });

    it('lets only one of many concurrent acquirers win, across processes too', async () => {
      const peer = await openPeerOf(fixture);
      try {
        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? stores : peer).leases.acquire('sesn_race', `worker-${i}`, 30_000),
          ),
        );
        expect(results.filter((lease) => lease !== null)).toHaveLength(1);
      } finally {
        await peer.close();
      }
    });

    it('hands an expired lease to the next holder with a larger token', async () => {
      const a = await stores.leases.acquire('sesn_exp', 'worker-a', 50);
      let b: Awaited<ReturnType<typeof stores.leases.acquire>> = null;
      await waitFor(
        async () => {
          b = await stores.leases.acquire('sesn_exp', 'worker-b', 30_000);
          return b !== null;
        },
        'the expired lease to be taken',
        3000,
      );
      expect(b!.token).toBeGreaterThan(a!.token);
      // The old holder has lost it: renew fails, release does not free the new holder's lease.
      expect(await stores.leases.renew(a!, 30_000)).toBe(false);
      await stores.leases.release(a!);
      expect(await stores.leases.acquire('sesn_exp', 'worker-c', 30_000)).toBeNull();
    });

    it('renew extends the lease; renew after release fails', async () => {
      const a = await stores.leases.acquire('sesn_renew', 'worker-a', 200);
      expect(await stores.leases.renew(a!, 30_000)).toBe(true);
      // Past the original 200 ms the renewed lease must still hold (a wait on time itself).
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await stores.leases.acquire('sesn_renew', 'worker-b', 30_000)).toBeNull();
      await stores.leases.release(a!);
      expect(await stores.leases.renew(a!, 30_000)).toBe(false);
    });

    it('issues strictly increasing tokens per session, forever', async () => {
      const tokens: number[] = [];
      for (let i = 0; i < 20; i += 1) {
        const lease = await stores.leases.acquire('sesn_mono', `worker-${i % 3}`, 30_000);
        tokens.push(lease!.token);
        await stores.leases.release(lease!);
      }
      for (let i = 1; i < tokens.length; i += 1) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]!);
      const peer = await openPeerOf(fixture);
      try {
        const fromPeer = await peer.leases.acquire('sesn_mono', 'worker-peer', 30_000);
        expect(fromPeer!.token).toBeGreaterThan(tokens[tokens.length - 1]!);
      } finally {
        await peer.close();
      }
    });
  });
}
