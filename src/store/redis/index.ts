import KeyvRedis from '@keyv/redis';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { type Logger, silentLogger } from '../../logging.js';
import { StoreError, type Stores } from '../types.js';
import { createRedisClaims } from './claims.js';
import { redisKeys } from './keys.js';
import { createRedisLeaseManager } from './leases.js';
import { createRedisResourceStore } from './resources.js';
import { createRedisSessionLog } from './session-log.js';
import { createRedisWakeQueue } from './wake-queue.js';

export type { Claims } from '../types.js';
export { createRedisClaims } from './claims.js';
export { deleteRedisPrefix } from './cleanup.js';
export { DEFAULT_PREFIX, normalizePrefix, type RedisKeys, redisKeys } from './keys.js';
export { createRedisLeaseManager } from './leases.js';
export { createRedisResourceStore } from './resources.js';
export { createRedisSessionLog } from './session-log.js';
export { createRedisWakeQueue } from './wake-queue.js';

export interface RedisStoresOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** Key prefix for everything this deployment stores. Default `threadhand:`. */
  prefix?: string;
  logger?: Logger;
  /** How long to wait for Redis at start-up before failing. Default 5 s. */
  connectTimeoutMs?: number;
  /** Wake-queue tuning; see `RedisWakeQueueOptions`. */
  queue?: {
    concurrency?: number;
    lockDurationMs?: number;
    stalledIntervalMs?: number;
    closeTimeoutMs?: number;
  };
  /** How long an idle follower's blocking read waits before checking its session still exists. */
  followBlockMs?: number;
}

/** `redis://host:port` without the password, for messages and logs. */
function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.username = '';
    return parsed.toString();
  } catch {
    return 'an invalid Redis URL';
  }
}

/** Kept for callers that named it; claims are part of `Stores` now. */
export type RedisStores = Stores;

/**
 * The distributed stores: log (Streams), leases, resources, claims (`SET NX PX`) and the wake
 * queue (BullMQ) on ioredis, KV on `@keyv/redis`, all under one key prefix. Fails with
 * `StoreError('unavailable')` when Redis does not answer at start-up.
 */

export async function createRedisStores(options: RedisStoresOptions): Promise<RedisStores> {
  const logger = options.logger ?? silentLogger();
  const keys = redisKeys(options.prefix);
  // Duplicated connections (followers, pub/sub, BullMQ) override lazyConnect: a lazily
  // connecting subscriber can enter subscriber mode before ioredis's ready check (INFO) runs.
  const redis = new Redis(options.url, {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? 5000,
    maxRetriesPerRequest: 3,
  });
  redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection error'));
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    const message = error instanceof Error ? error.message : String(error);
    throw new StoreError(
      'unavailable',
      `Redis at ${safeUrl(options.url)} does not answer (${message}); check THREADHAND_REDIS_URL and that Redis is running`,
    );
  }

  const log = createRedisSessionLog({
    redis,
    keys,
    logger,
    ...(options.followBlockMs !== undefined ? { followBlockMs: options.followBlockMs } : {}),
  });
  const kvStore = new KeyvRedis(options.url, { namespace: keys.kvNamespace });
  kvStore.on('error', (error: unknown) => logger.warn({ err: error }, 'redis kv error'));
  const kv = new Keyv({ store: kvStore, namespace: keys.kvNamespace, useKeyPrefix: false });
  kv.on('error', (error: unknown) => logger.warn({ err: error }, 'kv error'));
  const queue = createRedisWakeQueue({ redis, bullPrefix: keys.bullPrefix, logger, ...options.queue });

  let closing: Promise<void> | undefined;
  return {
    log,
    kv,
    leases: createRedisLeaseManager(redis, keys),
    queue,
    resources: createRedisResourceStore(redis, keys),
    claims: createRedisClaims(redis, keys),
    close() {
      closing ??= (async () => {
        await queue.close();
        await log.close();
        await kv.disconnect().catch(() => {});
        await redis.quit().catch(() => redis.disconnect());
      })();
      return closing;
    },
  };
}
