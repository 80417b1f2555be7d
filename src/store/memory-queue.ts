import type { Logger } from '../logging.js';
import type { WakeQueue } from './types.js';

export interface MemoryWakeQueueOptions {
  /** Default concurrency when `consume` does not say. Default 4. */
  concurrency?: number;
  /** How long `close` waits for running handlers before giving up on them. Default 10 s. */
  closeTimeoutMs?: number;
  logger?: Logger;
}

type State = 'pending' | 'running' | 'running_again';

/**
 * The embedded-mode WakeQueue: in-process, no persistence (a restart re-enqueues from the log's
 * session statuses, not from here). Per session: any number of enqueues while a wake is pending
 * collapse into that one; an enqueue while its handler runs schedules exactly one more run
 * after it. One session never runs twice at once; different sessions run up to `concurrency`.
 * A handler's error is logged and does not stop the queue. After `close`, enqueues are dropped
 * and pending wakes are discarded; running handlers get up to `closeTimeoutMs` to finish.
 */
export function createMemoryWakeQueue(options: MemoryWakeQueueOptions = {}): WakeQueue {
  const states = new Map<string, State>();
  const ready: string[] = [];
  const running = new Set<Promise<void>>();
  let handler: ((sessionId: string) => Promise<void>) | undefined;
  let concurrency = Math.max(1, options.concurrency ?? 4);
  let active = 0;
  let closed = false;

  function pump(): void {
    while (handler && !closed && active < concurrency && ready.length > 0) {
      const sessionId = ready.shift()!;
      start(handler, sessionId);
    }
  }

  function start(run: (sessionId: string) => Promise<void>, sessionId: string): void {
    states.set(sessionId, 'running');
    active += 1;
    const task = (async () => {
      try {
        await run(sessionId);
      } catch (error) {
        options.logger?.error({ err: error, sessionId }, 'wake handler failed');
      }
    })().finally(() => {
      running.delete(task);
      active -= 1;
      if (states.get(sessionId) === 'running_again' && !closed) {
        states.set(sessionId, 'pending');
        ready.push(sessionId);
      } else {
        states.delete(sessionId);
      }
      pump();
    });
    running.add(task);
  }

  return {
    async enqueue(sessionId) {
      if (closed) return;
      const state = states.get(sessionId);
      if (state === 'pending' || state === 'running_again') return;
      if (state === 'running') {
        states.set(sessionId, 'running_again');
        return;
      }
      states.set(sessionId, 'pending');
      ready.push(sessionId);
      pump();
    },

    consume(fn, consumeOptions) {
      if (handler) throw new Error('this wake queue already has a consumer');
      handler = fn;
      if (consumeOptions?.concurrency !== undefined) concurrency = Math.max(1, consumeOptions.concurrency);
      pump();
    },

    async close() {
      closed = true;
      ready.length = 0;
      if (running.size === 0) return;
      const cap = options.closeTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), cap);
      });
      const outcome = await Promise.race([
        Promise.allSettled([...running]).then(() => 'done' as const),
        timeout,
      ]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        options.logger?.warn(
          { running: running.size, closeTimeoutMs: cap },
          'wake queue closed with handlers still running',
        );
      }
    },
  };
}
