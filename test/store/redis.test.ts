import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisStores, deleteRedisPrefix } from '../../src/store/redis/index.js';
import { describeClaimsContract } from './claims-contract.js';
import type { StoresFixture } from './helpers.js';
import { describeKvAndResourcesContract } from './kv-resources-contract.js';
import { describeLeaseContract } from './lease-contract.js';
import { describeQueueContract } from './queue-contract.js';
import { describeSessionLogContract } from './session-log-contract.js';

export const REDIS_URL = process.env.THREADHAND_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Fresh key prefix per test, deleted afterwards; peers are further clients on the same prefix.
 * No Redis means a failing test (createRedisStores throws 'unavailable'), never a skip.
 */
export async function makeRedisStores(): Promise<StoresFixture> {
  const prefix = `th-test:${randomBytes(6).toString('hex')}:`;
  const options = { url: REDIS_URL, prefix, queue: { closeTimeoutMs: 5000 }, followBlockMs: 500 };
  const stores = await createRedisStores(options);
  return {
    stores,
    openPeer: () => createRedisStores(options),
    async cleanup() {
      await stores.close();
      const admin = new Redis(REDIS_URL);
      try {
        await deleteRedisPrefix(admin, prefix);
      } finally {
        admin.disconnect();
      }
    },
  };
}

describeSessionLogContract('redis', makeRedisStores);
describeLeaseContract('redis', makeRedisStores);
describeQueueContract('redis (BullMQ)', makeRedisStores);
describeKvAndResourcesContract('redis', makeRedisStores);
describeClaimsContract('redis', makeRedisStores);
