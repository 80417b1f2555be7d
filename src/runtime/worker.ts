/**
 * The worker role: takes wakes off the queue and runs the harness; on start and then
 * periodically, re-wakes sessions left `running` by a dead process (their lease expires, the
 * wake then succeeds and the harness recovers from the log).
 */
import type { Harness } from '../harness/types.js';
import type { Logger } from '../logging.js';
import type { Stores } from '../store/types.js';
import { drainWorker } from './shutdown.js';
import type { Service } from './types.js';

export interface WorkerOptions {
  stores: Stores;
  harness: Harness;
  logger: Logger;
  concurrency?: number;
  /** How often to look for sessions orphaned by a dead worker (ms); 0 = only at start. */
  recoveryIntervalMs?: number;
  /** On stop, how long running turns may take to finish before they are handed back. */
  drainGraceMs?: number;
}

export function createWorker(options: WorkerOptions): Service & { recover(): Promise<number> } {
  const { stores, harness, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let started = false;

  async function recover(): Promise<number> {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await stores.log.listSessions({
        statuses: ['running', 'rescheduling'],
        limit: 200,
        cursor,
        includeArchived: true,
      });
      for (const session of page.data) {
        if (harness.active().includes(session.id)) continue;
        await stores.queue.enqueue(session.id);
        count++;
      }
      cursor = page.next ?? undefined;
    } while (cursor);
    if (count > 0) logger.info({ count }, 'recovering sessions left running');
    return count;
  }

  return {
    name: 'worker',
    recover,
    async start() {
      if (started) return;
      started = true;
      stores.queue.consume(
        async (sessionId) => {
          try {
            const outcome = await harness.wake(sessionId);
            logger.debug({ sessionId, outcome }, 'wake done');
          } catch (error) {
            logger.error({ sessionId, err: error }, 'wake failed');
          }
        },
        { concurrency: options.concurrency ?? 64 },
      );
      await recover();
      const every = options.recoveryIntervalMs ?? 15_000;
      if (every > 0) {
        timer = setInterval(() => {
          recover().catch((error: unknown) => logger.warn({ err: error }, 'recovery sweep failed'));
        }, every);
        timer.unref();
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      // Running turns get a grace period; what is left is aborted and handed back to the
      // queue (another worker resumes it from the log at once).
      await drainWorker({ queue: stores.queue, harness, logger, graceMs: options.drainGraceMs ?? 20_000 });
    },
  };
}
