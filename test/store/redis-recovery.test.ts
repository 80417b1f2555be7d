import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStores, deleteRedisPrefix } from '../../src/store/redis/index.js';
import { StoreError } from '../../src/store/types.js';
import { buildProc, startProc } from '../runtime/procs/build.js';
import { userMessage } from './helpers.js';

const REDIS_URL = process.env.THREADHAND_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

type Msg = { type: 'ready' | 'run'; sessionId?: string; pid: number };

describe('Redis stores: recovery and failure modes', () => {
  let consumerFile: string;
  const prefixes: string[] = [];
  const newPrefix = () => {
    const prefix = `th-test:${randomBytes(6).toString('hex')}:`;
    prefixes.push(prefix);
    return prefix;
  };

  beforeAll(async () => {
    consumerFile = await buildProc('wake-consumer');
  }, 120_000);
  afterAll(async () => {
    const admin = new Redis(REDIS_URL);
    for (const prefix of prefixes) await deleteRedisPrefix(admin, prefix);
    admin.disconnect();
  }, 120_000);

  it('fails with a clear "unavailable" error when Redis does not answer', async () => {
    const attempt = createRedisStores({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 500 });
    await expect(attempt).rejects.toBeInstanceOf(StoreError);
    await expect(attempt).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('THREADHAND_REDIS_URL'),
    });
  });

  it('a wake whose worker is killed -9 mid-run is run again by another worker', async () => {
    const prefix = newPrefix();
    const doomed = startProc<Msg>(consumerFile, { PREFIX: prefix, HANG: '1', REDIS_URL });
    await doomed.waitFor((m) => m.type === 'ready');
    const stores = await createRedisStores({ url: REDIS_URL, prefix });
    try {
      await stores.queue.enqueue('sesn_orphan');
      await doomed.waitFor((m) => m.type === 'run' && m.sessionId === 'sesn_orphan');
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      const rescuer = startProc<Msg>(consumerFile, { PREFIX: prefix, REDIS_URL });
      try {
        const rerun = await rescuer.waitFor((m) => m.type === 'run' && m.sessionId === 'sesn_orphan', 15_000);
        expect(rerun.pid).toBe(rescuer.child.pid);
      } finally {
        rescuer.child.kill('SIGTERM');
        await rescuer.exited;
      }
    } finally {
      await stores.close();
    }
  });

  it('a stalled lease holder that wakes up after a takeover cannot write', async () => {
    const prefix = newPrefix();
    const a = await createRedisStores({ url: REDIS_URL, prefix });
    const b = await createRedisStores({ url: REDIS_URL, prefix });
    try {
      const { id } = await a.log.createSession({ agent_id: 'agent', environment_id: 'env' });
      const stale = await a.leases.acquire(id, 'worker-a', 100);
      await a.log.append(id, [userMessage('a1')], { fencingToken: stale!.token });
      let fresh = null;
      const deadline = Date.now() + 3000;
      while (!fresh && Date.now() < deadline) fresh = await b.leases.acquire(id, 'worker-b', 30_000);
      expect(fresh).not.toBeNull();
      await b.log.append(id, [userMessage('b1')], { fencingToken: fresh!.token });
      await expect(
        a.log.append(id, [userMessage('a2')], { fencingToken: stale!.token }),
      ).rejects.toMatchObject({
        code: 'fenced',
      });
      expect(await a.leases.renew(stale!, 30_000)).toBe(false);
      const texts = (await b.log.read(id)).map((e) => (e.type === 'user.message' ? e.content[0] : undefined));
      expect(texts).toEqual([
        { type: 'text', text: 'a1' },
        { type: 'text', text: 'b1' },
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('claims are won by exactly one of many concurrent claimers across processes', async () => {
    const prefix = newPrefix();
    const a = await createRedisStores({ url: REDIS_URL, prefix });
    const b = await createRedisStores({ url: REDIS_URL, prefix });
    try {
      const wins = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).claims.claim('slack:evt:Ev1', 60_000)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await a.claims.claim('slack:evt:Ev2', 50)).toBe(true);
      const deadline = Date.now() + 3000;
      let again = false;
      while (!again && Date.now() < deadline) again = await b.claims.claim('slack:evt:Ev2', 50);
      expect(again).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('lists sessions of several statuses in creation order across pages (status indexes)', async () => {
    const prefix = newPrefix();
    const stores = await createRedisStores({ url: REDIS_URL, prefix });
    try {
      const ids: string[] = [];
      for (let i = 0; i < 9; i += 1)
        ids.push((await stores.log.createSession({ agent_id: 'a', environment_id: 'e' })).id);
      const statusOf = [
        'running',
        'idle',
        'rescheduling',
        'running',
        'terminated',
        'rescheduling',
        'idle',
        'running',
        'idle',
      ];
      for (const [i, id] of ids.entries()) {
        const status = statusOf[i]!;
        if (status === 'running') await stores.log.append(id, [{ type: 'session.status_running' }]);
        if (status === 'rescheduling') await stores.log.append(id, [{ type: 'session.status_rescheduled' }]);
        if (status === 'terminated') await stores.log.append(id, [{ type: 'session.status_terminated' }]);
      }
      // A session that ran and went idle again leaves the running index.
      await stores.log.append(ids[6]!, [{ type: 'session.status_running' }]);
      await stores.log.append(ids[6]!, [
        { type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null },
      ]);
      const expected = ids.filter((_, i) => statusOf[i] === 'running' || statusOf[i] === 'rescheduling');
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await stores.log.listSessions({
            statuses: ['running', 'rescheduling'],
            limit: 2,
            order,
            cursor,
          });
          seen.push(...page.data.map((s) => s.id));
          cursor = page.next ?? undefined;
        } while (cursor);
        expect(seen).toEqual(order === 'asc' ? expected : [...expected].reverse());
      }
      // Past one batch per index (50), pages must still interleave the indexes correctly.
      const many: string[] = [];
      for (let i = 0; i < 130; i += 1) {
        const { id } = await stores.log.createSession({ agent_id: 'a', environment_id: 'e' });
        const event = i % 3 === 0 ? 'session.status_rescheduled' : 'session.status_running';
        await stores.log.append(id, [{ type: event }]);
        many.push(id);
      }
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await stores.log.listSessions({
            statuses: ['rescheduling', 'running'],
            limit: 7,
            order,
            cursor,
          });
          seen.push(...page.data.map((s) => s.id));
          cursor = page.next ?? undefined;
        } while (cursor);
        const all = [...expected, ...many];
        expect(seen).toEqual(order === 'asc' ? all : all.reverse());
      }
      const idle = await stores.log.listSessions({ statuses: ['idle'], order: 'asc' });
      expect(idle.data.map((s) => s.id)).toEqual([ids[1], ids[6], ids[8]]);
      await stores.log.deleteSession(ids[0]!);
      const running = await stores.log.listSessions({ statuses: ['running'], order: 'asc', limit: 2 });
      expect(running.data.map((s) => s.id)).toEqual([ids[3], ids[7]]);
    } finally {
      await stores.close();
    }
  });

  it('keeps stream ids aligned with event seqs and leaves no keys behind after delete', async () => {
    const prefix = newPrefix();
    const stores = await createRedisStores({ url: REDIS_URL, prefix });
    const admin = new Redis(REDIS_URL);
    try {
      const { id } = await stores.log.createSession({ agent_id: 'agent', environment_id: 'env' });
      const events = await stores.log.append(id, ['x', 'y', 'z'].map(userMessage));
      const entries = await admin.xrange(`${prefix}s:${id}:log`, '-', '+');
      expect(entries.map(([streamId]) => streamId)).toEqual(['0-1', '0-2', '0-3']);
      expect(entries.map(([, fields]) => JSON.parse(fields[1]!).id)).toEqual(events.map((e) => e.id));
      await stores.log.deleteSession(id);
      expect(await admin.keys(`${prefix}s:${id}*`)).toEqual([]);
    } finally {
      admin.disconnect();
      await stores.close();
    }
  });
});
