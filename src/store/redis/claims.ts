import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';

/**
 * Contract: `claim(key, ttlMs)` is true for exactly one caller per key across every process
 * sharing the store, until the ttl passes. Chat delivery dedupe needs this: a get-then-set on
 * the KV lets two front doors that receive the same event at once both go ahead.
 */
export interface Claims {
  claim(key: string, ttlMs: number): Promise<boolean>;
}

/** Claims as `SET NX PX` keys under the deployment's prefix. */
export function createRedisClaims(redis: Redis, keys: RedisKeys): Claims {
  return {
    async claim(key, ttlMs) {
      const reply = await redis.set(
        `${keys.prefix}claim:${key}`,
        '1',
        'PX',
        Math.max(1, Math.floor(ttlMs)),
        'NX',
      );
      return reply === 'OK';
    },
  };
}
