import type { Redis } from 'ioredis';
import type { ResourceStore } from '../types.js';
import type { RedisKeys } from './keys.js';
import { PUT_RESOURCE } from './scripts.js';

/** Resources as JSON in one hash per kind, ordered by a sorted set of first-put order. */
export function createRedisResourceStore(redis: Redis, keys: RedisKeys): ResourceStore {
  return {
    async get<T>(kind: string, id: string) {
      const json = await redis.hget(keys.resources(kind), id);
      return json === null ? undefined : (JSON.parse(json) as T);
    },
    async put<T>(kind: string, id: string, value: T) {
      const json = JSON.stringify(value);
      await PUT_RESOURCE.run(
        redis,
        [keys.resources(kind), keys.resourceOrder(kind), keys.resourceOrd],
        [id, json],
      );
    },
    async delete(kind, id) {
      await redis.multi().hdel(keys.resources(kind), id).zrem(keys.resourceOrder(kind), id).exec();
    },
    async list<T>(kind: string) {
      const ids = await redis.zrange(keys.resourceOrder(kind), 0, -1);
      if (ids.length === 0) return [];
      const values = await redis.hmget(keys.resources(kind), ...ids);
      return values.flatMap((json) => (json === null ? [] : [JSON.parse(json) as T]));
    },
  };
}
