import { EventEmitter } from 'node:events';
import { eventId, eventSeq } from '../../events/ids.js';
import type { NewEvent, SessionEvent, StreamDelta } from '../../events/schema.js';
import {
  type AppendOptions,
  type FollowOptions,
  type LogItem,
  type SessionLog,
  type SessionStatus,
  StoreError,
} from '../types.js';
import type { SqliteDatabase } from './database.js';
import { type FollowSource, followLoop, type TaggedDelta } from './follow.js';
import { createSessionTable } from './sessions.js';

export interface SqliteSessionLogOptions {
  /** How often an idle follower re-reads the file for other processes' appends. Default 200 ms. */
  pollIntervalMs?: number;
}

const STATUS_OF: Partial<Record<SessionEvent['type'], SessionStatus>> = {
  'session.status_running': 'running',
  'session.status_idle': 'idle',
  'session.status_terminated': 'terminated',
  'session.status_rescheduled': 'rescheduling',
};

/** Not a string, so it can never collide with a session id used as an event name. */
const CLOSED = Symbol('closed');

interface CounterRow {
  event_count: number;
}

/**
 * SessionLog over one SQLite database. Appends are IMMEDIATE transactions, so the seq read and
 * the insert happen under the file's write lock: writers in other processes queue on
 * `busy_timeout` instead of racing. Deltas (`publishDelta`) reach followers in this process
 * only; a follower in another process sees the durable events, not the live text.
 */
export function createSqliteSessionLog(
  db: SqliteDatabase,
  options: SqliteSessionLogOptions = {},
): SessionLog {
  const pollMs = options.pollIntervalMs ?? 200;
  const sessions = createSessionTable(db);
  const appended = new EventEmitter().setMaxListeners(0);
  const deltaHub = new EventEmitter().setMaxListeners(0);
  let closed = false;

  const selectCounter = db.prepare<[string], CounterRow>('SELECT event_count FROM sessions WHERE id = ?');
  const selectLeaseToken = db
    .prepare<[string], number>('SELECT token FROM leases WHERE session_id = ?')
    .pluck();
  const insertEvent = db.prepare(
    'INSERT INTO events (session_id, seq, id, type, json) VALUES (?, ?, ?, ?, ?)',
  );
  const updateCounters = db.prepare(
    'UPDATE sessions SET event_count = ?, last_event_id = ?, updated_at = ? WHERE id = ?',
  );
  const updateWithStatus = db.prepare(
    `UPDATE sessions SET event_count = ?, last_event_id = ?, updated_at = ?, status = ?, stop_reason = ?
     WHERE id = ?`,
  );
  const selectJsonAfter = db
    .prepare<[string, number, number], string>(
      'SELECT json FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    )
    .pluck();
  const selectRowsAfter = db
    .prepare<[string, number, number], [number, string]>(
      'SELECT seq, json FROM events WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    )
    .raw();
  const selectEventAt = db
    .prepare<[string, number, string], number>(
      'SELECT 1 FROM events WHERE session_id = ? AND seq = ? AND id = ?',
    )
    .pluck();

  const appendTx = db.transaction(
    (sessionId: string, events: NewEvent[], fencingToken: number | undefined): SessionEvent[] => {
      const counter = selectCounter.get(sessionId);
      if (!counter) throw new StoreError('not_found', `session ${sessionId} not found`);
      if (fencingToken !== undefined) {
        const current = selectLeaseToken.get(sessionId);
        if (current !== undefined && current > fencingToken) {
          throw new StoreError(
            'fenced',
            `append to ${sessionId} refused: lease token ${fencingToken} was superseded by ${current}`,
          );
        }
      }
      const processedAt = new Date().toISOString();
      let seq = counter.event_count;
      let status: SessionStatus | undefined;
      let stopReason: string | null = null;
      const stored: SessionEvent[] = [];
      for (const input of events) {
        seq += 1;
        const id = eventId(seq);
        // id first for readability of the stored JSON; assigned again so an input id never wins.
        const event = { id, ...input, processed_at: processedAt } as SessionEvent;
        event.id = id;
        insertEvent.run(sessionId, seq, id, event.type, JSON.stringify(event));
        const next = STATUS_OF[event.type];
        if (next) {
          status = next;
          stopReason = event.type === 'session.status_idle' ? JSON.stringify(event.stop_reason) : null;
        }
        stored.push(event);
      }
      const lastId = stored[stored.length - 1]!.id;
      if (status) updateWithStatus.run(seq, lastId, processedAt, status, stopReason, sessionId);
      else updateCounters.run(seq, lastId, processedAt, sessionId);
      return stored;
    },
  );

  function assertOpen(): void {
    if (closed) throw new StoreError('unavailable', 'the session log is closed');
  }

  /** The seq an `after` id stands for, checked to be an event of this session. */
  function seqAfter(sessionId: string, after: string | undefined): number {
    if (after === undefined) return 0;
    const seq = eventSeq(after);
    if (seq === undefined) throw new StoreError('invalid', `not an event id: ${after}`);
    if (selectEventAt.get(sessionId, seq, after) === undefined) {
      throw new StoreError('not_found', `event ${after} not found in session ${sessionId}`);
    }
    return seq;
  }

  function followSource(sessionId: string): FollowSource {
    return {
      readAfter: (seq, limit) =>
        selectRowsAfter
          .all(sessionId, seq, limit)
          .map(([rowSeq, json]) => ({ seq: rowSeq, event: JSON.parse(json) as SessionEvent })),
      sessionExists: () => selectCounter.get(sessionId) !== undefined,
      onAppend: (listener) => {
        appended.on(sessionId, listener);
        appended.on(CLOSED, listener);
        return () => {
          appended.off(sessionId, listener);
          appended.off(CLOSED, listener);
        };
      },
      onDelta: (listener) => {
        deltaHub.on(sessionId, listener);
        return () => deltaHub.off(sessionId, listener);
      },
      isClosed: () => closed,
    };
  }

  async function* followFrom(
    sessionId: string,
    options: FollowOptions,
    start: () => number,
  ): AsyncGenerator<LogItem> {
    const startSeq = start();
    yield* followLoop(followSource(sessionId), {
      startSeq,
      signal: options.signal,
      deltas: options.deltas ?? false,
      pollMs,
    });
  }

  return {
    async createSession(session) {
      assertOpen();
      return sessions.create(session);
    },
    async getSession(id) {
      assertOpen();
      return sessions.get(id);
    },
    async updateSession(id, patch) {
      assertOpen();
      return sessions.update(id, patch);
    },
    async listSessions(listOptions) {
      assertOpen();
      return sessions.list(listOptions);
    },
    async deleteSession(id) {
      assertOpen();
      sessions.remove(id);
      appended.emit(id);
    },

    async append(sessionId: string, events: NewEvent[], appendOptions: AppendOptions = {}) {
      assertOpen();
      if (events.length === 0) return [];
      const stored = appendTx.immediate(sessionId, events, appendOptions.fencingToken);
      appended.emit(sessionId);
      return stored;
    },

    async read(sessionId, readOptions = {}) {
      assertOpen();
      const afterSeq = seqAfter(sessionId, readOptions.after);
      const limit = readOptions.limit === undefined ? -1 : Math.max(0, Math.floor(readOptions.limit));
      const rows = selectJsonAfter.all(sessionId, afterSeq, limit);
      if (rows.length === 0 && afterSeq === 0 && !selectCounter.get(sessionId)) {
        throw new StoreError('not_found', `session ${sessionId} not found`);
      }
      return rows.map((json) => JSON.parse(json) as SessionEvent);
    },

    follow(sessionId, followOptions = {}) {
      // The start point is fixed now, not at the first `next()`: an event appended between
      // `follow()` and the first iteration must still be delivered.
      let startSeq: number | undefined;
      let startError: unknown;
      try {
        assertOpen();
        const counter = selectCounter.get(sessionId);
        if (!counter) throw new StoreError('not_found', `session ${sessionId} not found`);
        startSeq =
          followOptions.after === '$' ? counter.event_count : seqAfter(sessionId, followOptions.after);
      } catch (error) {
        startError = error;
      }
      return followFrom(sessionId, followOptions, () => {
        if (startSeq === undefined) throw startError;
        return startSeq;
      });
    },

    publishDelta(sessionId: string, delta: StreamDelta) {
      if (closed || deltaHub.listenerCount(sessionId) === 0) return;
      const afterSeq = selectCounter.get(sessionId)?.event_count ?? 0;
      const tagged: TaggedDelta = { afterSeq, delta };
      deltaHub.emit(sessionId, tagged);
    },

    async close() {
      if (closed) return;
      closed = true;
      appended.emit(CLOSED);
    },
  };
}
