import type { Redis } from 'ioredis';
import { eventId, eventSeq } from '../../events/ids.js';
import type { NewEvent, SessionEvent, StreamDelta } from '../../events/schema.js';
import type { Logger } from '../../logging.js';
import {
  type AppendOptions,
  type FollowOptions,
  type LogItem,
  type SessionLog,
  type SessionStatus,
  StoreError,
} from '../types.js';
import { createDeltaHub } from './delta-hub.js';
import { followStream } from './follow.js';
import type { RedisKeys } from './keys.js';
import { APPEND, PUBLISH_DELTA } from './scripts.js';
import { createRedisSessionTable } from './sessions.js';

export interface RedisSessionLogOptions {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  /** How long a follower's blocking read waits before re-checking the session exists. */
  followBlockMs?: number;
}

const STATUS_BY_EVENT: Partial<Record<NewEvent['type'], SessionStatus>> = {
  'session.status_running': 'running',
  'session.status_idle': 'idle',
  'session.status_rescheduled': 'rescheduling',
  'session.status_terminated': 'terminated',
};

/** The status change a batch makes (the last status event wins), as script arguments. */
function statusChange(events: NewEvent[]): [status: string, stopReason: string] {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]!;
    const status = STATUS_BY_EVENT[event.type];
    if (status === undefined) continue;
    const stop = event.type === 'session.status_idle' ? JSON.stringify(event.stop_reason) : '';
    return [status, stop];
  }
  return ['', ''];
}

/** `sevt_` + 12 seq digits: what follows is the random tail. */
const ID_TAIL_START = 17;

function seqOf(sessionId: string, id: string): number {
  const seq = eventSeq(id);
  if (seq === undefined) throw new StoreError('invalid', `not an event id of session ${sessionId}: ${id}`);
  return seq;
}

/** The session log on Redis: one stream per session with entry ids `0-<seq>`. */
export function createRedisSessionLog(options: RedisSessionLogOptions): SessionLog {
  const { redis, keys, logger } = options;
  const sessions = createRedisSessionTable(redis, keys);
  const hub = createDeltaHub(redis, logger);
  const followers = new Set<Redis>();
  let closed = false;

  function ensureOpen(): void {
    if (closed) throw new StoreError('unavailable', 'the session log is closed');
  }

  async function append(
    sessionId: string,
    events: NewEvent[],
    opts: AppendOptions = {},
  ): Promise<SessionEvent[]> {
    ensureOpen();
    if (events.length === 0) return [];
    const [status, stopReason] = statusChange(events);
    const args: Array<string | number> = [
      opts.fencingToken === undefined ? '' : String(opts.fencingToken),
      new Date().toISOString(),
      status,
      stopReason,
      events.length,
    ];
    const bodies: Array<Record<string, unknown>> = [];
    for (const event of events) {
      const {
        id: _id,
        processed_at: _at,
        ...body
      } = event as NewEvent & { id?: unknown; processed_at?: unknown };
      bodies.push(body);
      // The script puts the seq it allocates in front of this random tail.
      args.push(eventId(0).slice(ID_TAIL_START), JSON.stringify(body));
    }
    const keyList = [
      keys.session(sessionId),
      keys.stream(sessionId),
      keys.leaseToken(sessionId),
      keys.statusIndexPrefix,
    ];
    const reply = (await APPEND.run(redis, keyList, args)) as string[];
    if (reply[0] === 'not_found') throw new StoreError('not_found', `session ${sessionId} not found`);
    if (reply[0] === 'fenced') {
      throw new StoreError(
        'fenced',
        `append to session ${sessionId} refused: lease token ${opts.fencingToken} is older than ${reply[1]}`,
      );
    }
    const at = reply[1]!;
    return bodies.map((body, i) => ({ id: reply[2 + i]!, processed_at: at, ...body }) as SessionEvent);
  }

  async function read(
    sessionId: string,
    opts: { after?: string; limit?: number } = {},
  ): Promise<SessionEvent[]> {
    ensureOpen();
    const start = opts.after === undefined ? '-' : `(0-${seqOf(sessionId, opts.after)}`;
    const limit = opts.limit === undefined ? undefined : Math.max(0, Math.floor(opts.limit));
    if (limit === 0) return [];
    const [exists, entries] = await Promise.all([
      redis.exists(keys.session(sessionId)),
      limit === undefined
        ? redis.xrange(keys.stream(sessionId), start, '+')
        : redis.xrange(keys.stream(sessionId), start, '+', 'COUNT', limit),
    ]);
    if (exists === 0 && entries.length === 0)
      throw new StoreError('not_found', `session ${sessionId} not found`);
    return entries.map(([, fields]) => JSON.parse(fields[1] ?? 'null') as SessionEvent);
  }

  function follow(sessionId: string, opts: FollowOptions = {}): AsyncIterable<LogItem> {
    ensureOpen();
    // Read the start point now, not on first iteration: '$' means "after what is stored when
    // follow() is called". Commands on one connection run in order, so an append made after
    // this call is after the seq read here.
    const seqAtCall = redis.hget(keys.session(sessionId), 'seq');
    seqAtCall.catch(() => {});
    async function* iterate(): AsyncGenerator<LogItem> {
      const seq = await seqAtCall;
      if (seq === null) throw new StoreError('not_found', `session ${sessionId} not found`);
      let startSeq = 0;
      if (opts.after === '$') startSeq = Number(seq);
      else if (opts.after !== undefined) startSeq = seqOf(sessionId, opts.after);
      yield* followStream({
        redis,
        keys,
        hub,
        sessionId,
        startSeq,
        deltas: opts.deltas === true,
        ...(opts.signal ? { signal: opts.signal } : {}),
        blockMs: options.followBlockMs ?? 1000,
        isClosed: () => closed,
        track(connection) {
          followers.add(connection);
          return () => followers.delete(connection);
        },
      });
    }
    return iterate();
  }

  function publishDelta(sessionId: string, delta: StreamDelta): void {
    if (closed) return;
    PUBLISH_DELTA.run(
      redis,
      [keys.session(sessionId)],
      [keys.deltaChannel(sessionId), JSON.stringify(delta)],
    ).catch((error: unknown) => logger.debug({ err: error, sessionId }, 'delta not published'));
  }

  return {
    async createSession(session) {
      ensureOpen();
      return sessions.create(session);
    },
    async getSession(id) {
      ensureOpen();
      return sessions.get(id);
    },
    async updateSession(id, patch) {
      ensureOpen();
      return sessions.update(id, patch);
    },
    async listSessions(opts) {
      ensureOpen();
      return sessions.list(opts);
    },
    async deleteSession(id) {
      ensureOpen();
      await sessions.remove(id);
    },
    append,
    read,
    follow,
    publishDelta,
    async close() {
      if (closed) return;
      closed = true;
      for (const connection of followers) connection.disconnect();
      followers.clear();
      hub.close();
    },
  };
}
