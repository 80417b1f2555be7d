import type { Redis } from 'ioredis';
import type { StreamDelta } from '../../events/schema.js';
import type { Logger } from '../../logging.js';

export interface TaggedDelta {
  /** The session's last seq when the delta was published: it belongs after that event. */
  afterSeq: number;
  delta: StreamDelta;
}

type Listener = (delta: TaggedDelta) => void;

/**
 * One pub/sub connection per process, shared by every follower that wants deltas; channels
 * are subscribed while at least one local follower listens.
 */
export function createDeltaHub(base: Redis, logger: Logger) {
  let subscriber: Redis | undefined;
  let subscriberReady: Promise<void> | undefined;
  const listeners = new Map<string, Set<Listener>>();

  function connection(): Redis {
    if (subscriber) return subscriber;
    const sub = base.duplicate({ maxRetriesPerRequest: null, lazyConnect: false });
    sub.on('error', (error: Error) => logger.warn({ err: error }, 'redis delta subscriber error'));
    sub.on('message', (channel: string, message: string) => {
      const set = listeners.get(channel);
      if (!set) return;
      const space = message.indexOf(' ');
      let tagged: TaggedDelta;
      try {
        tagged = { afterSeq: Number(message.slice(0, space)), delta: JSON.parse(message.slice(space + 1)) };
      } catch {
        return;
      }
      for (const listener of set) listener(tagged);
    });
    subscriber = sub;
    // SUBSCRIBE before ioredis's ready check (INFO) has run breaks that check; wait for ready.
    subscriberReady = new Promise<void>((resolve) => {
      if (sub.status === 'ready') resolve();
      else sub.once('ready', () => resolve());
    });
    return sub;
  }

  return {
    /** Resolves once Redis confirmed the subscription; returns the unsubscribe function. */
    async listen(channel: string, listener: Listener): Promise<() => void> {
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        set.add(listener);
        const sub = connection();
        await subscriberReady;
        await sub.subscribe(channel);
      } else {
        set.add(listener);
      }
      return () => {
        const current = listeners.get(channel);
        if (!current) return;
        current.delete(listener);
        if (current.size === 0) {
          listeners.delete(channel);
          subscriber?.unsubscribe(channel).catch(() => {});
        }
      };
    },
    close(): void {
      listeners.clear();
      subscriber?.disconnect();
      subscriber = undefined;
      subscriberReady = undefined;
    },
  };
}

export type DeltaHub = ReturnType<typeof createDeltaHub>;
