import type { SessionEvent, StreamDelta } from '../../events/schema.js';
import type { LogItem } from '../types.js';

/** A delta tagged with the session's last seq when it was published, to order it among events. */
export interface TaggedDelta {
  afterSeq: number;
  delta: StreamDelta;
}

export interface FollowSource {
  /** Stored events with seq > `seq`, in order, at most `limit`. */
  readAfter(seq: number, limit: number): Array<{ seq: number; event: SessionEvent }>;
  sessionExists(): boolean;
  /** In-process append notifications; returns the unsubscribe function. */
  onAppend(listener: () => void): () => void;
  /** In-process deltas; returns the unsubscribe function. */
  onDelta(listener: (delta: TaggedDelta) => void): () => void;
  isClosed(): boolean;
}

export interface FollowLoopOptions {
  startSeq: number;
  signal?: AbortSignal;
  deltas: boolean;
  /** Poll interval that catches appends made by other processes on the same file. */
  pollMs: number;
}

const BATCH = 500;
/** Deltas are best-effort: a follower that falls far behind drops the oldest. */
const MAX_BUFFERED_DELTAS = 10_000;

function createWaker() {
  let flagged = false;
  let wakeUp: (() => void) | undefined;
  return {
    notify(): void {
      flagged = true;
      const fn = wakeUp;
      wakeUp = undefined;
      fn?.();
    },
    /** Call before looking for work: a notify after this makes the next wait return at once. */
    reset(): void {
      flagged = false;
    },
    wait(ms: number): Promise<void> {
      if (flagged) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wakeUp = undefined;
          resolve();
        }, ms);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

/**
 * Yields every event after `startSeq` in log order, with no gap and no duplicate: the seq
 * cursor only moves past an event once it has been yielded. In-process appends wake the loop
 * at once; a timed re-read catches other processes' appends. Ends when the signal aborts, the
 * log closes or the session is deleted.
 */
export async function* followLoop(source: FollowSource, options: FollowLoopOptions): AsyncGenerator<LogItem> {
  const { signal } = options;
  let cursor = options.startSeq;
  const waker = createWaker();
  const deltas: TaggedDelta[] = [];
  const offAppend = source.onAppend(waker.notify);
  const offDelta = options.deltas
    ? source.onDelta((tagged) => {
        deltas.push(tagged);
        if (deltas.length > MAX_BUFFERED_DELTAS) deltas.shift();
        waker.notify();
      })
    : () => {};
  signal?.addEventListener('abort', waker.notify);
  try {
    while (!signal?.aborted && !source.isClosed()) {
      waker.reset();
      const batch = source.readAfter(cursor, BATCH);
      for (const { seq, event } of batch) {
        // A delta published when the log ended at seq N belongs between events N and N+1.
        while (deltas.length > 0 && deltas[0]!.afterSeq < seq) {
          yield { kind: 'delta', delta: deltas.shift()!.delta };
          if (signal?.aborted) return;
        }
        yield { kind: 'event', event };
        cursor = seq;
        if (signal?.aborted || source.isClosed()) return;
      }
      if (batch.length === BATCH) continue;
      while (deltas.length > 0 && deltas[0]!.afterSeq <= cursor) {
        yield { kind: 'delta', delta: deltas.shift()!.delta };
        if (signal?.aborted || source.isClosed()) return;
      }
      if (batch.length === 0 && !source.sessionExists()) return;
      await waker.wait(options.pollMs);
    }
  } finally {
    offAppend();
    offDelta();
    signal?.removeEventListener('abort', waker.notify);
  }
}
