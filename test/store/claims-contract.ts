import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/store/types.js';
import { type MakeStores, openPeerOf, type StoresFixture, waitFor } from './helpers.js';

/** The Claims contract (see `src/store/types.ts`), run unchanged by every implementation. */
export function describeClaimsContract(name: string, makeStores: MakeStores): void {
  describe(`Claims contract: ${name}`, () => {
    let fixture: StoresFixture;
    let stores: Stores;
    beforeEach(async () => {
      fixture = await makeStores();
      stores = fixture.stores;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('is true for the first claim of a key only, per key', async () => {
      expect(await stores.claims.claim('slack:evt:Ev1', 60_000)).toBe(true);
      expect(await stores.claims.claim('slack:evt:Ev1', 60_000)).toBe(false);
      expect(await stores.claims.claim('slack:evt:Ev1', 60_000)).toBe(false);
      expect(await stores.claims.claim('slack:evt:Ev2', 60_000)).toBe(true);
    });

    it('a key claimed in one process is taken for another process sharing the store', async () => {
      const peer = await openPeerOf(fixture);
      try {
        expect(await stores.claims.claim('discord:msg:1', 60_000)).toBe(true);
        expect(await peer.claims.claim('discord:msg:1', 60_000)).toBe(false);
        expect(await peer.claims.claim('discord:msg:2', 60_000)).toBe(true);
        expect(await stores.claims.claim('discord:msg:2', 60_000)).toBe(false);
      } finally {
        await peer.close();
      }
    });

    it('lets exactly one of 20 concurrent claims of one key win, across processes', async () => {
      const peer = await openPeerOf(fixture);
      try {
        const wins = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? stores : peer).claims.claim('slack:evt:race', 60_000),
          ),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
        // And 20 concurrent claims of 20 different keys all win.
        const distinct = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? stores : peer).claims.claim(`slack:evt:k${i}`, 60_000),
          ),
        );
        expect(distinct.every(Boolean)).toBe(true);
      } finally {
        await peer.close();
      }
    });

    it('can be claimed again once the ttl has passed, by one caller', async () => {
      const peer = await openPeerOf(fixture);
      try {
        expect(await stores.claims.claim('slack:evt:short', 50)).toBe(true);
        expect(await peer.claims.claim('slack:evt:short', 50)).toBe(false);
        let again = false;
        await waitFor(
          async () => {
            again = await peer.claims.claim('slack:evt:short', 60_000);
            return again;
          },
          'the expired claim to be won again',
          3000,
        );
        expect(again).toBe(true);
        // The new claim holds for its own ttl, in both processes.
        expect(await stores.claims.claim('slack:evt:short', 60_000)).toBe(false);
        expect(await peer.claims.claim('slack:evt:short', 60_000)).toBe(false);
        // A long claim does not expire early.
        expect(await stores.claims.claim('slack:evt:long', 60_000)).toBe(true);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(await peer.claims.claim('slack:evt:long', 60_000)).toBe(false);
      } finally {
        await peer.close();
      }
    });
  });
}
