import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStores, openDatabase, synchronousMode } from '../../src/store/sqlite/index.js';
import { describeClaimsContract } from './claims-contract.js';
import {
  agentMessage,
  collectFollow,
  newSession,
  type StoresFixture,
  textOf,
  userMessage,
  waitFor,
} from './helpers.js';
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
describeClaimsContract('sqlite', makeSqliteStores);

describe('SQLite specifics', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'threadhand-sqlite-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps everything in <dir>/threadhand.db across a restart', async () => {
    const first = createSqliteStores({ dir });
    const id = await newSession(first.log, 'persisted');
    await first.log.append(id, [userMessage('remember me'), { type: 'session.status_running' }]);
    await first.kv.set('thread:web:1', id);
    await first.resources.put('agent', 'agent_1', { name: 'coder' });
    const lease = await first.leases.acquire(id, 'worker-a', 60_000);
    await first.close();
    expect(existsSync(join(dir, 'threadhand.db'))).toBe(true);

    const second = createSqliteStores({ dir });
    try {
      expect(await second.log.getSession(id)).toMatchObject({
        title: 'persisted',
        status: 'running',
        event_count: 2,
      });
      expect((await second.log.read(id)).map(textOf)).toEqual(['remember me', '']);
      expect(await second.kv.get('thread:web:1')).toBe(id);
      expect(await second.resources.list('agent')).toEqual([{ name: 'coder' }]);
      expect(await second.leases.acquire(id, 'worker-b', 60_000)).toBeNull();
      await expect(
        second.log.append(id, [userMessage('late')], { fencingToken: lease!.token - 1 }),
      ).rejects.toMatchObject({
        code: 'fenced',
      });
    } finally {
      await second.close();
    }
  });

  it('a file from before claims existed (schema 1) gets the claims table on open', async () => {
    const old = openDatabase({ dir });
    old.exec('DROP TABLE claims');
    old.pragma('user_version = 1');
    old.close();
    const stores = createSqliteStores({ dir });
    try {
      expect(await stores.claims.claim('slack:evt:E1', 60_000)).toBe(true);
      expect(await stores.claims.claim('slack:evt:E1', 60_000)).toBe(false);
    } finally {
      await stores.close();
    }
  });

  it('runs in WAL mode with the requested synchronous level', async () => {
    for (const level of ['NORMAL', 'FULL'] as const) {
      const db = openDatabase({ dir, synchronous: level });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(synchronousMode(db)).toBe(level);
      db.close();
    }
  });

  it('orders a delta among events by when it was published, even for a lagging follower', async () => {
    const stores = createSqliteStores({ dir });
    try {
      const id = await newSession(stores.log);
      const controller = new AbortController();
      const iterator = stores.log
        .follow(id, { after: '$', deltas: true, signal: controller.signal })
        [Symbol.asyncIterator]();
      const firstItem = iterator.next();
      await stores.log.append(id, [userMessage('q')]);
      expect((await firstItem).value).toMatchObject({ kind: 'event' });
      // The follower does not read while these happen: it lags behind by two events.
      stores.log.publishDelta(id, {
        type: 'event_delta',
        event_id: 'sevt_preview',
        delta: { type: 'content_delta', content: { type: 'text', text: 'Hi' } },
      });
      await stores.log.append(id, [agentMessage('Hi there')]);
      await stores.log.append(id, [userMessage('next')]);
      const kinds: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const { value } = await iterator.next();
        kinds.push(value!.kind === 'event' ? textOf(value!.event) : `delta:${value!.delta.type}`);
      }
      expect(kinds).toEqual(['delta:event_delta', 'Hi there', 'next']);
      controller.abort();
      expect((await iterator.next()).done).toBe(true);
    } finally {
      await stores.close();
    }
  });

  it('closing the stores ends open followers', async () => {
    const stores = createSqliteStores({ dir });
    const id = await newSession(stores.log);
    const follower = collectFollow(stores.log.follow(id, { after: '$' }));
    await stores.log.append(id, [userMessage('x')]);
    await waitFor(() => follower.events().length === 1, 'first event');
    await stores.close();
    await waitFor(() => follower.ended(), 'follower to end on close', 2000);
  });
});
