import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventSeq } from '../../src/events/ids.js';
import type { NewEvent, SessionEvent } from '../../src/events/schema.js';
import { StoreError, type Stores } from '../../src/store/types.js';
import { defineFollowTests } from './follow-contract.js';
import {
  type MakeStores,
  newSession,
  openPeerOf,
  type StoresFixture,
  textOf,
  userMessage,
} from './helpers.js';

export type { MakeStores, StoresFixture } from './helpers.js';

const idle: NewEvent = { type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null };

function expectLogOrder(events: SessionEvent[]): void {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect([...ids].sort()).toEqual(ids);
}

/** Runs `writers` concurrent loops of `perWriter` single-event appends, spread over `logs`. */
async function concurrentAppends(
  logs: Stores['log'][],
  sessionId: string,
  writers: number,
  perWriter: number,
) {
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const log = logs[w % logs.length]!;
      for (let i = 0; i < perWriter; i += 1) await log.append(sessionId, [userMessage(`w${w}:${i}`)]);
    }),
  );
}

function expectWritersIntact(events: SessionEvent[], writers: number, perWriter: number): void {
  expect(events).toHaveLength(writers * perWriter);
  expectLogOrder(events);
  const next = new Array<number>(writers).fill(0);
  for (const event of events) {
    const [w, i] = textOf(event).slice(1).split(':').map(Number) as [number, number];
    expect(i).toBe(next[w]);
    next[w] = i + 1;
  }
  expect(next).toEqual(new Array<number>(writers).fill(perWriter));
}

/**
 * The SessionLog contract (see `src/store/types.ts`). Every implementation runs this suite
 * unchanged; `makeStores` gives each test fresh, empty stores.
 */
export function describeSessionLogContract(name: string, makeStores: MakeStores): void {
  describe(`SessionLog contract: ${name}`, () => {
    let fixture: StoresFixture;
    let stores: Stores;
    beforeEach(async () => {
      fixture = await makeStores();
      stores = fixture.stores;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    it('creates, gets and updates sessions', async () => {
      const created = await stores.log.createSession({
        agent_id: 'agent_a',
        agent_version: 3,
        environment_id: 'env_a',
        metadata: { k: 'v' },
      });
      expect(created).toMatchObject({
        status: 'idle',
        stop_reason: null,
        event_count: 0,
        last_event_id: null,
      });
      expect(created.id).toMatch(/^sesn_/);
      expect(await stores.log.getSession(created.id)).toEqual(created);
      expect(await stores.log.getSession('sesn_missing')).toBeUndefined();
      const updated = await stores.log.updateSession(created.id, { title: 'Renamed', vault_ids: ['vlt_1'] });
      expect(updated).toMatchObject({
        title: 'Renamed',
        vault_ids: ['vlt_1'],
        metadata: { k: 'v' },
        agent_version: 3,
      });
      await expect(
        stores.log.createSession({ id: created.id, agent_id: 'a', environment_id: 'e' }),
      ).rejects.toMatchObject({
        code: 'conflict',
      });
      await expect(stores.log.updateSession('sesn_missing', { title: 'x' })).rejects.toMatchObject({
        code: 'not_found',
      });
    });

    it('stores appended events in order with unique, sortable ids', async () => {
      const id = await newSession(stores.log);
      const first = await stores.log.append(id, [userMessage('one')]);
      const batch = await stores.log.append(id, [userMessage('two'), userMessage('three')]);
      for (let i = 4; i <= 25; i += 1) await stores.log.append(id, [userMessage(String(i))]);
      const events = await stores.log.read(id);
      expect(events.map(textOf).slice(0, 4)).toEqual(['one', 'two', 'three', '4']);
      expect(events).toHaveLength(25);
      expect(events.slice(0, 3)).toEqual([...first, ...batch]);
      expectLogOrder(events);
      for (const event of events) expect(new Date(event.processed_at).toISOString()).toBe(event.processed_at);
      const session = await stores.log.getSession(id);
      expect(session).toMatchObject({ event_count: 25, last_event_id: events[24]!.id });
    });

    it('reads from any event id, with a limit', async () => {
      const id = await newSession(stores.log);
      const all = await stores.log.append(id, ['a', 'b', 'c', 'd', 'e', 'f'].map(userMessage));
      for (let i = 0; i < all.length; i += 1) {
        expect(await stores.log.read(id, { after: all[i]!.id })).toEqual(all.slice(i + 1));
      }
      expect(await stores.log.read(id, { limit: 2 })).toEqual(all.slice(0, 2));
      expect(await stores.log.read(id, { after: all[1]!.id, limit: 3 })).toEqual(all.slice(2, 5));
      await expect(stores.log.read(id, { after: 'not-an-id' })).rejects.toBeInstanceOf(StoreError);
      await expect(stores.log.read('sesn_missing')).rejects.toMatchObject({ code: 'not_found' });
      await expect(stores.log.append('sesn_missing', [userMessage('x')])).rejects.toMatchObject({
        code: 'not_found',
      });
    });

    it('appends a multi-event batch atomically: all stored contiguously, or none', async () => {
      const id = await newSession(stores.log);
      await Promise.all(
        Array.from({ length: 4 }, async (_, w) => {
          for (let b = 0; b < 25; b += 1) {
            await stores.log.append(
              id,
              [0, 1, 2].map((k) => userMessage(`${w}:${b}:${k}`)),
            );
          }
        }),
      );
      const events = await stores.log.read(id);
      expect(events).toHaveLength(300);
      for (let i = 0; i < events.length; i += 3) {
        const [w, b] = textOf(events[i]!).split(':');
        expect(events.slice(i, i + 3).map(textOf)).toEqual([0, 1, 2].map((k) => `${w}:${b}:${k}`));
      }
      // A batch whose second event cannot be serialized leaves no trace.
      const bad = {
        type: 'user.message',
        content: [{ type: 'text', text: 'x' }],
        oops: 1n,
      } as unknown as NewEvent;
      await expect(stores.log.append(id, [userMessage('ok'), bad])).rejects.toThrow();
      expect(await stores.log.read(id)).toHaveLength(300);
      expect((await stores.log.getSession(id))?.event_count).toBe(300);
    });

    it('keeps one order and loses nothing with 4 concurrent writers x 1000 appends', async () => {
      const id = await newSession(stores.log);
      await concurrentAppends([stores.log], id, 4, 1000);
      const events = await stores.log.read(id);
      expectWritersIntact(events, 4, 1000);
      expect(await stores.log.getSession(id)).toMatchObject({
        event_count: 4000,
        last_event_id: events[3999]!.id,
      });
    });

    it('keeps one order with writers in two processes on the same data', async () => {
      const peer = await openPeerOf(fixture);
      try {
        const id = await newSession(stores.log);
        await concurrentAppends([stores.log, peer.log], id, 4, 1000);
        const events = await stores.log.read(id);
        expectWritersIntact(events, 4, 1000);
        expect(await peer.log.read(id)).toEqual(events);
      } finally {
        await peer.close();
      }
    });

    it('updates status and stop_reason in the same step as the status event', async () => {
      const id = await newSession(stores.log);
      const [running] = await stores.log.append(id, [{ type: 'session.status_running' }]);
      expect(await stores.log.getSession(id)).toMatchObject({
        status: 'running',
        stop_reason: null,
        last_event_id: running!.id,
      });
      const stop = { type: 'requires_action' as const, event_ids: ['sevt_x'] };
      await stores.log.append(id, [
        userMessage('hi'),
        { type: 'session.status_idle', stop_reason: stop, stop_details: null },
      ]);
      expect(await stores.log.getSession(id)).toMatchObject({
        status: 'idle',
        stop_reason: stop,
        event_count: 3,
      });
      await stores.log.append(id, [{ type: 'session.status_rescheduled' }]);
      expect(await stores.log.getSession(id)).toMatchObject({ status: 'rescheduling', stop_reason: null });
      await stores.log.append(id, [{ type: 'session.status_running' }, idle]);
      expect(await stores.log.getSession(id)).toMatchObject({
        status: 'idle',
        stop_reason: { type: 'end_turn' },
      });
      await stores.log.append(id, [{ type: 'session.status_terminated' }]);
      expect(await stores.log.getSession(id)).toMatchObject({ status: 'terminated', stop_reason: null });
      await stores.log.append(id, [userMessage('after')]);
      expect(await stores.log.getSession(id)).toMatchObject({ status: 'terminated', event_count: 8 });
    });

    it('a reader that sees a status event also sees the session status it set', async () => {
      const id = await newSession(stores.log);
      const controller = new AbortController();
      const stale: string[] = [];
      let seen = 0;
      const watcher = (async () => {
        for await (const item of stores.log.follow(id, { signal: controller.signal })) {
          if (item.kind !== 'event' || !item.event.type.startsWith('session.status_')) continue;
          const session = await stores.log.getSession(id);
          // Later appends may have landed meanwhile; the row must never be older than the event.
          if (!session || session.event_count < eventSeq(item.event.id)!) stale.push(item.event.id);
          const expected = item.event.type === 'session.status_running' ? 'running' : 'idle';
          if (session?.last_event_id === item.event.id && session.status !== expected)
            stale.push(item.event.id);
          seen += 1;
          if (seen === 40) controller.abort();
        }
      })();
      for (let i = 0; i < 20; i += 1) {
        await stores.log.append(id, [{ type: 'session.status_running' }]);
        await stores.log.append(id, [idle]);
      }
      await watcher;
      expect(seen).toBe(40);
      expect(stale).toEqual([]);
    });

    it('refuses an append fenced with a token older than the current lease', async () => {
      const id = await newSession(stores.log);
      const first = await stores.leases.acquire(id, 'worker-a', 30_000);
      expect(first).not.toBeNull();
      await stores.log.append(id, [userMessage('by a')], { fencingToken: first!.token });
      await stores.leases.release(first!);
      const second = await stores.leases.acquire(id, 'worker-b', 30_000);
      expect(second!.token).toBeGreaterThan(first!.token);
      const refused = stores.log.append(id, [userMessage('stale a'), userMessage('stale a2')], {
        fencingToken: first!.token,
      });
      await expect(refused).rejects.toMatchObject({ name: 'StoreError', code: 'fenced' });
      await stores.log.append(id, [userMessage('by b')], { fencingToken: second!.token });
      await stores.log.append(id, [userMessage('unfenced')]);
      expect((await stores.log.read(id)).map(textOf)).toEqual(['by a', 'by b', 'unfenced']);
    });

    it('lists sessions with cursor pagination, order, status and archive filters', async () => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) ids.push(await newSession(stores.log, `s${i}`));
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await stores.log.listSessions({ limit: 2, order: 'asc', cursor });
        pages.push(page.data.map((s) => s.id));
        cursor = page.next ?? undefined;
      } while (cursor);
      expect(pages).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
      const desc = await stores.log.listSessions({ limit: 3, order: 'desc' });
      expect(desc.data.map((s) => s.id)).toEqual([...ids].reverse().slice(0, 3));
      const rest = await stores.log.listSessions({ limit: 3, order: 'desc', cursor: desc.next! });
      expect(rest).toEqual({ data: expect.any(Array), next: null });
      expect(rest.data.map((s) => s.id)).toEqual([ids[1], ids[0]]);

      await stores.log.append(ids[1]!, [{ type: 'session.status_running' }]);
      await stores.log.updateSession(ids[2]!, { archived_at: new Date().toISOString() });
      const running = await stores.log.listSessions({ statuses: ['running'] });
      expect(running.data.map((s) => s.id)).toEqual([ids[1]]);
      const visible = await stores.log.listSessions({ order: 'asc' });
      expect(visible.data.map((s) => s.id)).toEqual([ids[0], ids[1], ids[3], ids[4]]);
      const everything = await stores.log.listSessions({ order: 'asc', includeArchived: true });
      expect(everything.data.map((s) => s.id)).toEqual(ids);
    });

    it('deletes a session with its events and leaves others alone', async () => {
      const doomed = await newSession(stores.log);
      const kept = await newSession(stores.log);
      await stores.log.append(doomed, ['a', 'b'].map(userMessage));
      await stores.log.append(kept, [userMessage('stay')]);
      await stores.log.deleteSession(doomed);
      expect(await stores.log.getSession(doomed)).toBeUndefined();
      await expect(stores.log.read(doomed)).rejects.toMatchObject({ code: 'not_found' });
      expect((await stores.log.listSessions()).data.map((s) => s.id)).toEqual([kept]);
      expect((await stores.log.read(kept)).map(textOf)).toEqual(['stay']);
    });

    defineFollowTests(() => fixture);
  });
}
