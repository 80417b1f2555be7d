import type { Redis } from 'ioredis';
import type { Lease, LeaseManager } from '../types.js';
import type { RedisKeys } from './keys.js';
import { ACQUIRE_LEASE, RELEASE_LEASE, RENEW_LEASE } from './scripts.js';

/** What the lease key holds: the token and owner, so renew/release only touch their own lease. */
function holder(lease: Lease): string {
  return `${lease.token}:${lease.owner}`;
}

function ttl(ms: number): number {
  return Math.max(1, Math.floor(ms));
}

/**
 * Leases as `SET NX PX` keys; tokens come from a per-session counter incremented in the same
 * script, so every holder gets a larger token than any before it. The session log's append
 * script reads the same counter to fence off stale holders.
 */
export function createRedisLeaseManager(redis: Redis, keys: RedisKeys): LeaseManager {
  return {
    async acquire(sessionId, owner, ttlMs) {
      const token = await ACQUIRE_LEASE.run(
        redis,
        [keys.lease(sessionId), keys.leaseToken(sessionId)],
        [owner, ttl(ttlMs)],
      );
      if (token === null || token === undefined) return null;
      return { sessionId, owner, token: Number(token) };
    },
    async renew(lease, ttlMs) {
      const renewed = await RENEW_LEASE.run(
        redis,
        [keys.lease(lease.sessionId)],
        [holder(lease), ttl(ttlMs)],
      );
      return Number(renewed) === 1;
    },
    async release(lease) {
      await RELEASE_LEASE.run(redis, [keys.lease(lease.sessionId)], [holder(lease)]);
    },
  };
}
