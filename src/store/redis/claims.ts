import type { Redis } from 'ioredis';
import type { Claims } from '../types.js';
import type { RedisKeys } from './keys.js';

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
