/**
 * One gateway connection per bot across all front-door processes. Discord sends every event to
 * every connection of a bot, so with several fronts (Redis mode) each would answer each mention.
 * The fronts share a lease: its holder connects and renders; the others stand by and take over
 * when the holder stops renewing (crash) or releases it (shutdown).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../../logging.js';
import type { Lease, LeaseManager } from '../../store/types.js';

export interface LeadershipOptions {
  leases: LeaseManager;
  key: string;
  ttlMs: number;
  logger: Logger;
  /** Called when this process becomes the holder; a throw gives the lease back. */
  onLead(): Promise<void>;
  /** Called when the lease is lost (not on `stop`). */
  onLose(): Promise<void>;
}

export interface Leadership {
  /** Tries once now (awaiting `onLead` if it wins, rethrowing its error), then keeps trying. */
  start(): Promise<void>;
  /** Stops trying and releases the lease if held. */
  stop(): Promise<void>;
  readonly leading: boolean;
}

export function createLeadership(options: LeadershipOptions): Leadership {
  const { leases, key, ttlMs, logger } = options;
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let lease: Lease | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  let ticking: Promise<void> | null = null;

  let takingOver: Promise<void> | null = null;

  async function acquire(): Promise<boolean> {
    const won = await leases.acquire(key, owner, ttlMs);
    if (won) {
      lease = won;
      logger.info({ owner }, 'discord: this process holds the gateway');
    }
    return won !== null;
  }

  /** Runs `onLead` while renewals go on (a slow login must not let the lease lapse). */
  async function lead(): Promise<void> {
    try {
      await options.onLead();
    } catch (error) {
      const held = lease;
      lease = null;
      if (held) await leases.release(held).catch(() => undefined);
      throw error;
    }
  }

  async function tick(): Promise<void> {
    if (lease) {
      const kept = await leases.renew(lease, ttlMs).catch(() => false);
      if (!kept && !stopped) {
        lease = null;
        logger.warn({ owner }, 'discord: lost the gateway lease; standing by');
        await takingOver;
        await options
          .onLose()
          .catch((error: unknown) => logger.error({ err: error }, 'discord: stepping down failed'));
      }
    } else if (!stopped && (await acquire().catch(() => false))) {
      takingOver = lead()
        .catch((error: unknown) => logger.error({ err: error }, 'discord: taking over the gateway failed'))
        .finally(() => {
          takingOver = null;
        });
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(
      () => {
        ticking = tick().finally(() => {
          ticking = null;
          schedule();
        });
      },
      Math.max(50, Math.floor(ttlMs / 3)),
    );
    timer.unref();
  }

  return {
    get leading() {
      return lease !== null;
    },
    async start() {
      stopped = false;
      schedule();
      if (await acquire()) await lead();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await ticking;
      await takingOver;
      if (lease) await leases.release(lease).catch(() => undefined);
      lease = null;
    },
  };
}
