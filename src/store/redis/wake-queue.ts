import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logging.js';
import type { WakeQueue } from '../types.js';

export interface RedisWakeQueueOptions {
  /** A connection to copy settings from; the queue opens its own connections. */
  redis: Redis;
  /** BullMQ key prefix, e.g. `threadhand:bull`. */
  bullPrefix: string;
  logger: Logger;
  /** Default handler concurrency per `consume` call. Default 4. */
  concurrency?: number;
  /**
   * How long a worker's claim on a running wake lasts without renewal (renewed every half of
   * it). A killed worker's wake is handed to another after this plus up to `stalledIntervalMs`.
   * Default 10 s.
   */
  lockDurationMs?: number;
  /** How often workers look for wakes whose worker died. Default 5 s. */
  stalledIntervalMs?: number;
  /** How long `close` waits for running handlers before abandoning them. Default 30 s. */
  closeTimeoutMs?: number;
}

const QUEUE_NAME = 'wake';

interface WakeData {
  sessionId: string;
}

/**
 * The distributed WakeQueue on BullMQ. One job per session at a time via BullMQ
 * deduplication with `keepLastIfActive`: enqueues while a wake waits collapse into it; an
 * enqueue while it runs keeps one follow-up job that starts when the run ends, so a message
 * sent during a run is never lost and one session never runs twice at once. A killed
 * worker's job is found stalled and re-run elsewhere (the harness then resumes from the log).
 */
export function createRedisWakeQueue(options: RedisWakeQueueOptions): WakeQueue {
  const { logger } = options;
  // BullMQ needs `maxRetriesPerRequest: null` on the connections its workers block on.
  const producerConnection = options.redis.duplicate({ maxRetriesPerRequest: null, lazyConnect: false });
  producerConnection.on('error', (error: Error) => logger.warn({ err: error }, 'redis wake queue error'));
  const queue = new Queue<WakeData>(QUEUE_NAME, {
    connection: producerConnection,
    prefix: options.bullPrefix,
  });
  queue.on('error', (error: Error) => logger.warn({ err: error }, 'wake queue error'));
  const workers: Worker<WakeData>[] = [];
  let closing: Promise<void> | undefined;
  // Enqueues still work while consumers drain, so a worker shutting down can hand wakes back.
  let producerClosed = false;

  return {
    async enqueue(sessionId) {
      if (producerClosed) return;
      await queue.add(
        'wake',
        { sessionId },
        {
          deduplication: { id: sessionId, keepLastIfActive: true },
          removeOnComplete: true,
          removeOnFail: { count: 1000 },
          // A handler that throws is retried a few times; the harness makes a spare wake cheap.
          attempts: 3,
          backoff: { type: 'exponential', delay: 1000 },
        },
      );
    },

    consume(handler, consumeOptions) {
      if (closing) throw new Error('the wake queue is closed');
      const connection = options.redis.duplicate({ maxRetriesPerRequest: null, lazyConnect: false });
      connection.on('error', (error: Error) => logger.warn({ err: error }, 'redis wake worker error'));
      const worker = new Worker<WakeData>(
        QUEUE_NAME,
        async (job) => {
          await handler(job.data.sessionId);
        },
        {
          connection,
          prefix: options.bullPrefix,
          concurrency: Math.max(1, consumeOptions?.concurrency ?? options.concurrency ?? 4),
          lockDuration: options.lockDurationMs ?? 10_000,
          stalledInterval: options.stalledIntervalMs ?? 5_000,
          // A session whose workers keep getting killed must still be woken, not given up on.
          maxStalledCount: 1000,
        },
      );
      worker.on('error', (error: Error) => logger.warn({ err: error }, 'wake worker error'));
      worker.on('failed', (job, error) =>
        logger.error(
          { err: error, sessionId: job?.data.sessionId, attempt: job?.attemptsMade },
          'wake failed',
        ),
      );
      workers.push(worker);
    },

    close() {
      closing ??= (async () => {
        const cap = options.closeTimeoutMs ?? 30_000;
        await Promise.all(
          workers.map(async (worker) => {
            let timer: NodeJS.Timeout | undefined;
            const timedOut = new Promise<'timeout'>((resolve) => {
              timer = setTimeout(() => resolve('timeout'), cap);
            });
            const outcome = await Promise.race([worker.close().then(() => 'closed' as const), timedOut]);
            clearTimeout(timer);
            if (outcome === 'timeout') {
              logger.warn({ closeTimeoutMs: cap }, 'wake handlers still running at close; abandoning them');
              await worker.close(true);
            }
            await worker.disconnect().catch(() => {});
          }),
        );
        producerClosed = true;
        await queue.close();
        producerConnection.disconnect();
      })();
      return closing;
    },
  };
}
