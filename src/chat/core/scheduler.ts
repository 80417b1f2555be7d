/**
 * Pacing for chat platform calls: a per-channel serial queue that honours rate-limit pauses
 * (`Retry-After`), and a coalescing throttle for "this message changed, redraw it".
 */

export interface ChannelScheduler {
  /**
   * Runs `task` after earlier tasks of the same channel, no sooner than `minIntervalMs` after
   * the previous one started, and never while the channel (or `'*'`, everything) is paused. A
   * task that fails with a rate limit (see `retryAfterMs`) pauses the channel for that long and
   * is run again, up to `maxRetries` times; nothing is dropped.
   */
  run<T>(channel: string, task: () => Promise<T>): Promise<T>;
  /** Holds a channel (or `'*'`) for `ms`, e.g. after a 429 seen elsewhere. */
  pause(channel: string, ms: number): void;
}

export interface ChannelSchedulerOptions {
  minIntervalMs?: number;
  maxRetries?: number;
  /** The wait a rate-limit error asks for, in ms; undefined when the error is not one. */
  retryAfterMs?: (error: unknown) => number | undefined;
  /** Called when a rate limit pauses a channel (for logs and metrics). */
  onRateLimited?: (channel: string, ms: number) => void;
  now?: () => number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createChannelScheduler(options: ChannelSchedulerOptions = {}): ChannelScheduler {
  const minInterval = options.minIntervalMs ?? 0;
  const maxRetries = options.maxRetries ?? 5;
  const now = options.now ?? Date.now;
  const tails = new Map<string, Promise<unknown>>();
  const lastStart = new Map<string, number>();
  const pausedUntil = new Map<string, number>();

  const waitTurn = async (channel: string): Promise<void> => {
    for (;;) {
      const until = Math.max(pausedUntil.get(channel) ?? 0, pausedUntil.get('*') ?? 0);
      const spacing = (lastStart.get(channel) ?? -Infinity) + minInterval;
      const wait = Math.max(until, spacing) - now();
      if (wait <= 0) return;
      await sleep(wait);
    }
  };

  const pause = (channel: string, ms: number): void => {
    const until = now() + ms;
    if ((pausedUntil.get(channel) ?? 0) < until) pausedUntil.set(channel, until);
  };

  const execute = async <T>(channel: string, task: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      await waitTurn(channel);
      lastStart.set(channel, now());
      try {
        return await task();
      } catch (error) {
        const ms = options.retryAfterMs?.(error);
        if (ms === undefined || attempt >= maxRetries) throw error;
        pause(channel, ms);
        options.onRateLimited?.(channel, ms);
      }
    }
  };

  return {
    pause,
    run(channel, task) {
      const previous = tails.get(channel) ?? Promise.resolve();
      const result = previous.then(
        () => execute(channel, task),
        () => execute(channel, task),
      );
      const tailPromise = result.catch(() => undefined);
      tails.set(channel, tailPromise);
      void tailPromise.then(() => {
        if (tails.get(channel) === tailPromise) tails.delete(channel);
      });
      return result;
    },
  };
}

export interface Throttle {
  /** Asks for a run: now if the last one started `intervalMs` ago, else at that time. */
  poke(options?: { immediate?: boolean }): void;
  /** Resolves when no run is pending or in flight (runs a pending one now). */
  flush(): Promise<void>;
  /** Stops future runs; resolves when a run in flight has finished. */
  cancel(): Promise<void>;
}

/**
 * Coalesces redraw requests: however often `poke` is called, `run` is called at most once per
 * `intervalMs`, never twice at once, and always once more after the last poke.
 */
export function createThrottle(
  run: () => Promise<void>,
  intervalMs: number,
  onError?: (e: unknown) => void,
): Throttle {
  let lastRun = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> | null = null;
  let dirty = false;
  let urgent = false;
  let cancelled = false;

  const start = (): void => {
    if (cancelled) return;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    dirty = false;
    urgent = false;
    lastRun = Date.now();
    inFlight = run()
      .catch((error) => onError?.(error))
      .finally(() => {
        inFlight = null;
        if (dirty) schedule(urgent);
      });
  };

  const schedule = (immediate: boolean): void => {
    if (cancelled) return;
    dirty = true;
    if (immediate) urgent = true;
    if (inFlight) return;
    // An urgent poke (something new to show) does not wait for a pending timed run.
    if (timer && !urgent) return;
    const wait = urgent ? 0 : lastRun + intervalMs - Date.now();
    if (wait <= 0) start();
    else timer = setTimeout(start, wait);
  };

  return {
    poke(options) {
      schedule(options?.immediate ?? false);
    },
    async flush() {
      for (;;) {
        if (inFlight) await inFlight;
        else if (dirty && !cancelled) start();
        else return;
      }
    },
    async cancel() {
      cancelled = true;
      if (timer) clearTimeout(timer);
      timer = null;
      if (inFlight) await inFlight;
    },
  };
}
