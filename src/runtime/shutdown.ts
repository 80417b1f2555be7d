/**
 * Graceful shutdown. The first SIGTERM/SIGINT stops taking work and lets running wakes finish
 * for a grace period; wakes still running then are aborted (their leases released) and handed
 * back to the queue so another worker resumes them from the log. A second signal, or a stop
 * that overruns its deadline, exits at once.
 */
import type { Logger } from '../logging.js';
import type { WakeQueue } from '../store/types.js';

export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

export interface GracefulShutdownOptions {
  /** Stops everything this process runs (e.g. `threadhand.stop()`). */
  stop(): Promise<void>;
  logger: Logger;
  /** After this long the process exits even if `stop` has not finished. Default 45 s. */
  deadlineMs?: number;
  signals?: NodeJS.Signals[];
  /** Default `process.exit`. */
  exit?: (code: number) => void;
  /** Default `process`. */
  source?: SignalSource;
}

export interface GracefulShutdown {
  /** Starts the same shutdown as a signal (e.g. from a fatal error); resolves with the exit code. */
  shutdown(reason: string): Promise<number>;
  /** Removes the signal handlers. */
  dispose(): void;
}

export function installGracefulShutdown(options: GracefulShutdownOptions): GracefulShutdown {
  const { logger } = options;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const source: SignalSource = options.source ?? process;
  let stopping: Promise<number> | undefined;

  function shutdown(reason: string): Promise<number> {
    stopping ??= (async () => {
      const deadlineMs = options.deadlineMs ?? 45_000;
      logger.info(
        { reason, deadlineMs },
        'shutting down: no new work; finishing or handing back running sessions',
      );
      let timer: NodeJS.Timeout | undefined;
      const overrun = new Promise<number>((resolve) => {
        timer = setTimeout(() => {
          logger.error({ deadlineMs }, 'shutdown overran its deadline; exiting now');
          resolve(1);
        }, deadlineMs);
        timer.unref();
      });
      const stopped = options.stop().then(
        () => 0,
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          return 1;
        },
      );
      const code = await Promise.race([stopped, overrun]);
      clearTimeout(timer);
      logger.info({ code }, 'stopped');
      exit(code);
      return code;
    })();
    return stopping;
  }

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting immediately');
      exit(130);
      return;
    }
    void shutdown(signal);
  };
  for (const signal of signals) source.on(signal, onSignal);

  return {
    shutdown,
    dispose() {
      for (const signal of signals) source.off(signal, onSignal);
    },
  };
}

/** The part of the harness a draining worker needs. */
export interface RunningWork {
  active(): string[];
  abortAll(reason: string): void;
}

export interface DrainOptions {
  queue: WakeQueue;
  harness: RunningWork;
  logger: Logger;
  /** How long running wakes may take to finish on their own. Default 20 s. */
  graceMs?: number;
}

/**
 * Stops the queue consumer (no new wakes start here) and waits up to `graceMs` for running
 * wakes; then aborts the rest and re-enqueues them, so another worker resumes them at once
 * instead of after lease expiry and a recovery sweep.
 */
export async function drainWorker(
  options: DrainOptions,
): Promise<{ finished: boolean; handedBack: string[] }> {
  const { queue, harness, logger } = options;
  const closing = queue.close();
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<'grace_over'>((resolve) => {
    timer = setTimeout(() => resolve('grace_over'), options.graceMs ?? 20_000);
  });
  const outcome = await Promise.race([closing.then(() => 'closed' as const), grace]);
  clearTimeout(timer);
  if (outcome === 'closed') return { finished: true, handedBack: [] };
  const handedBack = harness.active();
  logger.warn({ sessions: handedBack }, 'grace period over: handing running sessions back to the queue');
  harness.abortAll('shutdown');
  await Promise.all(
    handedBack.map((sessionId) =>
      queue
        .enqueue(sessionId)
        .catch((error: unknown) => logger.warn({ err: error, sessionId }, 'hand-back enqueue failed')),
    ),
  );
  await closing;
  return { finished: false, handedBack };
}
