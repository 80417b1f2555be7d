import type { Redis } from 'ioredis';
import type { SessionEvent } from '../../events/schema.js';
import { type LogItem, StoreError } from '../types.js';
import type { DeltaHub, TaggedDelta } from './delta-hub.js';
import type { RedisKeys } from './keys.js';

export interface StreamFollowOptions {
  redis: Redis;
  keys: RedisKeys;
  hub: DeltaHub;
  sessionId: string;
  startSeq: number;
  deltas: boolean;
  signal?: AbortSignal;
  /** How long one blocking XREAD waits before checking the session still exists. */
  blockMs: number;
  isClosed(): boolean;
  /** Registers the dedicated connection so closing the log disconnects it; returns unregister. */
  track(connection: Redis): () => void;
}

const BATCH = 500;
/** Deltas are best-effort: a follower that falls far behind drops the oldest. */
const MAX_BUFFERED_DELTAS = 10_000;
const WOKEN = Symbol('woken');

type XreadReply = Array<[string, Array<[string, string[]]>]> | null;

function createWaker() {
  let resolveWait: (() => void) | undefined;
  let flagged = false;
  return {
    notify(): void {
      flagged = true;
      resolveWait?.();
    },
    wait(): Promise<typeof WOKEN> {
      if (flagged) {
        flagged = false;
        return Promise.resolve(WOKEN);
      }
      return new Promise((resolve) => {
        resolveWait = () => {
          resolveWait = undefined;
          flagged = false;
          resolve(WOKEN);
        };
      });
    },
  };
}

/** `0-<seq>` stream ids back to our seq. */
function entrySeq(id: string): number {
  return Number(id.slice(id.indexOf('-') + 1));
}

/**
 * Yields every event after `startSeq`, in order, with no gap and no duplicate: a blocking
 * XREAD on a dedicated connection always asks for entries after the last one yielded.
 * Deltas come from the process-wide pub/sub hub and are placed after the event they were
 * published behind. Ends when the signal aborts, the log closes or the session is deleted.
 */
export async function* followStream(options: StreamFollowOptions): AsyncGenerator<LogItem> {
  const { redis, keys, sessionId, signal } = options;
  const streamKey = keys.stream(sessionId);
  const connection = redis.duplicate({ maxRetriesPerRequest: null, lazyConnect: false });
  connection.on('error', () => {}); // surfaced through the pending XREAD
  const untrack = options.track(connection);
  const waker = createWaker();
  const onAbort = () => {
    waker.notify();
    connection.disconnect();
  };
  signal?.addEventListener('abort', onAbort);
  const deltas: TaggedDelta[] = [];
  let unlisten = () => {};
  let cursor = options.startSeq;
  let pending: Promise<XreadReply | { error: unknown }> | undefined;
  const stopped = () => signal?.aborted === true || options.isClosed();
  try {
    if (options.deltas) {
      unlisten = await options.hub.listen(keys.deltaChannel(sessionId), (tagged) => {
        deltas.push(tagged);
        if (deltas.length > MAX_BUFFERED_DELTAS) deltas.shift();
        waker.notify();
      });
    }
    while (!stopped()) {
      while (deltas.length > 0 && deltas[0]!.afterSeq <= cursor) {
        yield { kind: 'delta', delta: deltas.shift()!.delta };
        if (stopped()) return;
      }
      pending ??= (
        connection.xread(
          'COUNT',
          BATCH,
          'BLOCK',
          options.blockMs,
          'STREAMS',
          streamKey,
          `0-${cursor}`,
        ) as Promise<XreadReply>
      ).catch((error: unknown) => ({ error }));
      const result = await Promise.race([pending, waker.wait()]);
      if (result === WOKEN) continue;
      pending = undefined;
      if (stopped()) return;
      if (result !== null && 'error' in result) {
        const message = result.error instanceof Error ? result.error.message : String(result.error);
        throw new StoreError('unavailable', `following session ${sessionId} failed: ${message}`);
      }
      const entries = result?.[0]?.[1] ?? [];
      if (entries.length === 0) {
        if ((await redis.exists(keys.session(sessionId))) === 0) return;
        continue;
      }
      for (const [id, fields] of entries) {
        const seq = entrySeq(id);
        if (seq <= cursor) continue;
        while (deltas.length > 0 && deltas[0]!.afterSeq < seq) {
          yield { kind: 'delta', delta: deltas.shift()!.delta };
          if (stopped()) return;
        }
        const json = fields[1];
        cursor = seq;
        if (json === undefined) continue;
        yield { kind: 'event', event: JSON.parse(json) as SessionEvent };
        if (stopped()) return;
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    unlisten();
    untrack();
    connection.disconnect();
  }
}
