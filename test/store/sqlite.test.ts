import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import type { StoresFixture } from './helpers.js';
import { describeKvAndResourcesContract } from './kv-resources-contract.js';
import { describeLeaseContract } from './lease-contract.js';
import { describeQueueContract } from './queue-contract.js';
import { describeSessionLogContract } from './session-log-contract.js';

/** Fresh temp dir per test; peers are further connections to the same `threadhand.db`. */
async function makeSqliteStores(): Promise<StoresFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'threadhand-store-'));
  const stores = createSqliteStores({ dir, pollIntervalMs: 50 });
  return {
    stores,
    openPeer: async () => createSqliteStores({ dir, pollIntervalMs: 50 }),
    async cleanup() {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describeSessionLogContract('sqlite', makeSqliteStores);
describeLeaseContract('sqlite', makeSqliteStores);
describeQueueContract('sqlite (in-process queue)', makeSqliteStores);
describeKvAndResourcesContract('sqlite', makeSqliteStores);
