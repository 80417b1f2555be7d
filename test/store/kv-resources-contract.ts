import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/store/types.js';
import { type MakeStores, openPeerOf, type StoresFixture, waitFor } from './helpers.js';

/** The KV (keyv) and ResourceStore contracts, run unchanged by every implementation. */
export function describeKvAndResourcesContract(name: string, makeStores: MakeStores): void {
  describe(`KV and ResourceStore contract: ${name}`, () => {
    let fixture: StoresFixture;
    let stores: Stores;
    beforeEach(async () => {
      fixture = await makeStores();
      stores = fixture.stores;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('keeps key-value state, shared with other processes', async () => {
      await stores.kv.set('thread:slack:T1:C1:1.0', { sessionId: 'sesn_1' });
      expect(await stores.kv.get('thread:slack:T1:C1:1.0')).toEqual({ sessionId: 'sesn_1' });
      expect(await stores.kv.has('thread:slack:T1:C1:1.0')).toBe(true);
      const peer = await openPeerOf(fixture);
      try {
        expect(await peer.kv.get('thread:slack:T1:C1:1.0')).toEqual({ sessionId: 'sesn_1' });
        await peer.kv.set('dedupe:Ev1', true);
      } finally {
        await peer.close();
      }
      expect(await stores.kv.get('dedupe:Ev1')).toBe(true);
      expect(await stores.kv.delete('dedupe:Ev1')).toBe(true);
      expect(await stores.kv.get('dedupe:Ev1')).toBeUndefined();
      expect(await stores.kv.get('never-set')).toBeUndefined();
    });

    it('expires keys after their ttl', async () => {
      await stores.kv.set('short', 'v', 50);
      await stores.kv.set('long', 'v', 60_000);
      expect(await stores.kv.get('short')).toBe('v');
      await waitFor(
        async () => (await stores.kv.get('short')) === undefined,
        'the short key to expire',
        3000,
      );
      expect(await stores.kv.get('long')).toBe('v');
    });

    it('stores resources by kind and id, listed in creation order', async () => {
      await stores.resources.put('agent', 'agent_b', { id: 'agent_b', version: 1 });
      await stores.resources.put('agent', 'agent_a', { id: 'agent_a', version: 1 });
      await stores.resources.put('environment', 'env_a', { id: 'env_a' });
      await stores.resources.put('agent', 'agent_b', { id: 'agent_b', version: 2 });
      expect(await stores.resources.get('agent', 'agent_b')).toEqual({ id: 'agent_b', version: 2 });
      expect(await stores.resources.get('agent', 'env_a')).toBeUndefined();
      expect(await stores.resources.list('agent')).toEqual([
        { id: 'agent_b', version: 2 },
        { id: 'agent_a', version: 1 },
      ]);
      await stores.resources.delete('agent', 'agent_b');
      expect(await stores.resources.list('agent')).toEqual([{ id: 'agent_a', version: 1 }]);
      expect(await stores.resources.list('vault')).toEqual([]);
    });
  });
}
