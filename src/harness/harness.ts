/**
 * The stateless harness: `wake(sessionId)` takes the session's lease, runs turns until the
 * session is idle, and releases the lease. Nothing is kept between wakes.
 */

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { SessionEvent } from '../events/schema.js';
import { StoreError } from '../store/types.js';
import { createRun } from './run.js';
import { assess, isInputEvent, lastIndexOf } from './state.js';
import type { Harness, HarnessOptions, SessionContext, WakeOutcome } from './types.js';

export function createHarness(options: HarnessOptions): Harness {
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const ttl = options.leaseTtlMs ?? 30_000;
  const running = new Map<string, AbortController>();
  const { log, leases, logger } = options;

  async function resolveContext(sessionId: string): Promise<SessionContext | undefined> {
    const session = await log.getSession(sessionId);
    if (!session) return undefined;
    const agent = await options.catalog.getAgent(session.agent_id, session.agent_version);
    const environment = await options.catalog.getEnvironment(session.environment_id);
    if (!agent || !environment) {
      logger.error(
        { sessionId, agent: session.agent_id, env: session.environment_id },
        'session refers to an unknown agent or environment',
      );
      return undefined;
    }
    return { session, agent: agent.config, environment: environment.config };
  }

  async function wakeOnce(sessionId: string): Promise<{ outcome: WakeOutcome; lastId?: string }> {
    const lease = await leases.acquire(sessionId, owner, ttl);
    if (!lease) return { outcome: 'busy' };
    const controller = new AbortController();
    running.set(sessionId, controller);
    let lost = false;
    const renew = setInterval(
      () => {
        leases.renew(lease, ttl).then(
          (ok) => {
            if (!ok) {
              lost = true;
              controller.abort('lease_lost');
            }
          },
          (error: unknown) => logger.warn({ sessionId, err: error }, 'lease renewal failed'),
        );
      },
      Math.max(50, Math.floor(ttl / 3)),
    );
    try {
      const events = await log.read(sessionId);
      const state = assess(events);
      if (state.terminated || (!state.newInput && !state.crashedRun)) {
        return { outcome: 'nothing', lastId: events[events.length - 1]?.id };
      }
      const ctx = await resolveContext(sessionId);
      if (!ctx) return { outcome: 'missing' };
      const run = createRun({ ...options, ctx, lease, events, controller });
      const lastId = await run.execute();
      if (options.hooks?.afterRun) await options.hooks.afterRun(ctx, await log.read(sessionId));
      return { outcome: 'ran', lastId };
    } catch (error) {
      if (error instanceof StoreError && error.code === 'fenced') {
        logger.warn({ sessionId }, 'lease lost to another worker; stopping this run');
        return { outcome: 'fenced' };
      }
      throw error;
    } finally {
      clearInterval(renew);
      running.delete(sessionId);
      if (!lost) await leases.release(lease).catch(() => undefined);
    }
  }

  return {
    async wake(sessionId) {
      let result = await wakeOnce(sessionId);
      // Input that arrived while the lease was being released would otherwise wait for the
      // next wake: look once more after releasing, and go again when there is some.
      for (let i = 0; i < 100 && (result.outcome === 'ran' || result.outcome === 'nothing'); i++) {
        const after = await log.read(sessionId, result.lastId ? { after: result.lastId } : {});
        const tail: SessionEvent[] = after;
        const idle = lastIndexOf(tail, (e) => e.type === 'session.status_idle');
        if (!tail.slice(idle + 1).some(isInputEvent)) break;
        const next = await wakeOnce(sessionId);
        if (next.outcome === 'busy') break;
        result = next;
        if (result.outcome === 'nothing') break;
      }
      return result.outcome;
    },
    abortAll(reason) {
      for (const controller of running.values()) controller.abort(reason);
    },
    active() {
      return [...running.keys()];
    },
  };
}
