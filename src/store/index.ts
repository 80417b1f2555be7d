import type { Logger } from '../logging.js';
import type { SqliteSynchronous } from './sqlite/database.js';
import { createSqliteStores } from './sqlite/index.js';
import type { Stores } from './types.js';

export { createMemoryWakeQueue, type MemoryWakeQueueOptions } from './memory-queue.js';
export { createSqliteStores, type SqliteStoresOptions } from './sqlite/index.js';
export * from './types.js';

export interface StoresOptions {
  /** Embedded mode: directory of `threadhand.db` (e.g. `./.threadhand`). */
  dir: string;
  /** Distributed mode when set: log, KV, leases and queue on this Redis. */
  redisUrl?: string;
  /** Key prefix on Redis (default `threadhand:`). */
  redisPrefix?: string;
  /** SQLite durability level; see `SqliteSynchronous`. */
  synchronous?: SqliteSynchronous;
  logger?: Logger;
}

/**
 * Builds the stores for this process: Redis when `redisUrl` is given (the Redis client is
 * loaded only then), otherwise the embedded SQLite file under `dir`.
 */
export async function createStores(options: StoresOptions): Promise<Stores> {
  if (options.redisUrl) {
    const { createRedisStores } = await import('./redis/index.js');
    return createRedisStores({ url: options.redisUrl, prefix: options.redisPrefix, logger: options.logger });
  }
  return createSqliteStores({ dir: options.dir, synchronous: options.synchronous, logger: options.logger });
}
