import type { Logger } from '../../logging.js';
import { createMemoryWakeQueue } from '../memory-queue.js';
import type { Stores } from '../types.js';
import { createSqliteClaims } from './claims.js';
import { openDatabase, type SqliteSynchronous } from './database.js';
import { createSqliteKv } from './kv.js';
import { createSqliteLeaseManager } from './leases.js';
import { createSqliteResourceStore } from './resources.js';
import { createSqliteSessionLog } from './session-log.js';

export { createSqliteClaims } from './claims.js';
export {
  DB_FILE_NAME,
  openDatabase,
  type SqliteDatabase,
  type SqliteSynchronous,
  synchronousMode,
} from './database.js';
export { createSqliteKv, SqliteKeyvStore } from './kv.js';
export { createSqliteLeaseManager } from './leases.js';
export { createSqliteResourceStore } from './resources.js';
export { createSqliteSessionLog } from './session-log.js';

export interface SqliteStoresOptions {
  /** Directory for `threadhand.db` (created when missing), e.g. `./.threadhand`. */
  dir: string;
  /** See `SqliteSynchronous` for the durability trade-off. Default `NORMAL`. */
  synchronous?: SqliteSynchronous;
  busyTimeoutMs?: number;
  /** How often idle followers look for appends made by other processes. Default 200 ms. */
  pollIntervalMs?: number;
  /** keyv namespace. Default `threadhand`. */
  kvNamespace?: string;
  /** Wake-queue concurrency when `consume` does not say. Default 4. */
  queueConcurrency?: number;
  logger?: Logger;
}

/**
 * The embedded stores: log, KV, leases, resources and claims in one SQLite file `<dir>/threadhand.db`
 * (other processes may open the same file), and an in-process wake queue.
 */
export function createSqliteStores(options: SqliteStoresOptions): Stores {
  const db = openDatabase(options);
  const log = createSqliteSessionLog(db, { pollIntervalMs: options.pollIntervalMs });
  const kv = createSqliteKv(db, options.kvNamespace);
  const queue = createMemoryWakeQueue({ concurrency: options.queueConcurrency, logger: options.logger });
  let closing: Promise<void> | undefined;
  return {
    log,
    kv,
    leases: createSqliteLeaseManager(db),
    queue,
    resources: createSqliteResourceStore(db),
    claims: createSqliteClaims(db),
    close() {
      closing ??= (async () => {
        await queue.close();
        await log.close();
        db.close();
      })();
      return closing;
    },
  };
}
