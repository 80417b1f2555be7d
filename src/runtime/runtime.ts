/**
 * The runtime: the one way front doors change sessions. It appends user events and wakes the
 * session; a worker somewhere (this process or another) runs the harness.
 */

import { resourceId } from '../events/ids.js';
import { type EventAuthor, type NewEvent, UserEventParams } from '../events/schema.js';
import type { Logger } from '../logging.js';
import type { SandboxProvider } from '../sandbox/types.js';
import { type SessionRecord, StoreError, type Stores, type ThreadBinding } from '../store/types.js';
import { DEFAULT_PRICES, type PriceTable } from '../usage/prices.js';
import type { AnnouncedBinding, BindingWatch, Catalog, CreateSessionOptions, Runtime } from './types.js';

export class RuntimeError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid' | 'terminated',
    message: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}

export interface RuntimeOptions {
  stores: Stores;
  catalog: Catalog;
  logger: Logger;
  /** Sandbox providers by name, to destroy a session's hands on terminate/delete. */
  sandboxes?: () => SandboxProvider[];
  /** The effective price table (default: the shipped one). */
  prices?: PriceTable;
  /** How often front doors look for bindings announced by other processes (default 1 s). */
  bindingPollMs?: number;
}

const threadKey = (b: Pick<ThreadBinding, 'platform' | 'thread'>) => `thread:${b.platform}:${b.thread}`;
/** Announced bindings wait in the shared resource store (one document per session) until taken. */
const announcedKind = (platform: string) => `chat-binding:${platform}`;
const PLATFORMS: ThreadBinding['platform'][] = ['slack', 'discord', 'web', 'api', 'cli'];
/** A front door that took an announcement and failed leaves it to others after this long. */
const TAKE_CLAIM_TTL_MS = 30_000;

export function createRuntime(options: RuntimeOptions): Runtime {
  const { stores, catalog, logger } = options;
  const { log, kv, queue } = stores;

  async function requireSession(sessionId: string): Promise<SessionRecord> {
    const session = await log.getSession(sessionId);
    if (!session)
      throw new RuntimeError(
        'not_found',
        `No session ${sessionId}. List sessions with \`threadhand sessions ls\`.`,
      );
    return session;
  }

  async function destroyHands(sessionId: string) {
    for (const provider of options.sandboxes?.() ?? []) {
      await provider
        .destroy(sessionId)
        .catch((error: unknown) => logger.warn({ sessionId, err: error }, 'could not destroy sandbox'));
    }
  }

  // Watchers in this process, poked at once on an announcement (others find it by polling).
  const watchers = new Set<{ platform: string; check(): Promise<void> }>();

  async function announce(sessionId: string, binding: ThreadBinding): Promise<void> {
    const announced: AnnouncedBinding = {
      ...binding,
      sessionId,
      id: resourceId('bind'),
      at: new Date().toISOString(),
    };
    await stores.resources.put(announcedKind(binding.platform), sessionId, announced);
    for (const watcher of watchers) if (watcher.platform === binding.platform) void watcher.check();
  }

  function watchBindings(
    platform: ThreadBinding['platform'],
    take: (binding: AnnouncedBinding) => Promise<boolean>,
    opts: { pollMs?: number } = {},
  ): BindingWatch {
    const kind = announcedKind(platform);
    let stopped = false;
    let running: Promise<void> | null = null;
    let again = false;

    async function offer(binding: AnnouncedBinding): Promise<void> {
      // One front door per announcement, across every process sharing the store.
      if (!(await stores.claims.claim(`${kind}:${binding.id}`, TAKE_CLAIM_TTL_MS))) return;
      let taken = false;
      try {
        taken = await take(binding);
      } catch (err) {
        logger.warn(
          { err, sessionId: binding.sessionId, thread: binding.thread },
          'could not take a binding',
        );
      }
      if (!taken) return;
      // A newer announcement for the same session (re-bound meanwhile) stays for the next look.
      const current = await stores.resources.get<AnnouncedBinding>(kind, binding.sessionId);
      if (current?.id === binding.id) await stores.resources.delete(kind, binding.sessionId);
    }

    async function look(): Promise<void> {
      do {
        again = false;
        for (const binding of await stores.resources.list<AnnouncedBinding>(kind)) {
          if (stopped) return;
          await offer(binding);
        }
      } while (again && !stopped);
    }

    const watch = {
      platform,
      check(): Promise<void> {
        if (stopped) return Promise.resolve();
        if (running) {
          again = true;
          return running;
        }
        running = look()
          .catch((err: unknown) => logger.warn({ err, platform }, 'could not look for announced bindings'))
          .finally(() => {
            running = null;
          });
        return running;
      },
    };
    watchers.add(watch);
    const timer = setInterval(() => void watch.check(), opts.pollMs ?? options.bindingPollMs ?? 1000);
    timer.unref();
    void watch.check();
    return {
      check: watch.check,
      stop() {
        stopped = true;
        clearInterval(timer);
        watchers.delete(watch);
      },
    };
  }

  const runtime: Runtime = {
    stores,
    catalog,
    prices: options.prices ?? DEFAULT_PRICES,

    async createSession(opts: CreateSessionOptions) {
      const agentName = opts.agent ?? catalog.defaultAgent();
      const agent = await catalog.getAgent(agentName, opts.agentVersion);
      if (!agent || agent.archived_at) {
        const known = (await catalog.listAgents()).map((a) => a.id).join(', ');
        throw new RuntimeError('not_found', `No agent "${agentName}". Known agents: ${known || '(none)'}.`);
      }
      const envName = opts.environment ?? catalog.defaultEnvironment();
      const environment = await catalog.getEnvironment(envName);
      if (!environment || environment.archived_at) {
        const known = (await catalog.listEnvironments()).map((e) => e.id).join(', ');
        throw new RuntimeError(
          'not_found',
          `No environment "${envName}". Known environments: ${known || '(none)'}.`,
        );
      }
      const metadata = { ...(opts.metadata ?? {}) };
      if (opts.binding) {
        metadata['threadhand.platform'] = opts.binding.platform;
        metadata['threadhand.thread'] = opts.binding.thread;
        if (opts.binding.url) metadata['threadhand.thread_url'] = opts.binding.url;
      }
      const session = await log.createSession({
        id: resourceId('sesn'),
        agent_id: agent.id,
        agent_version: agent.version,
        environment_id: environment.id,
        title: opts.title ?? null,
        metadata,
        vault_ids: opts.vault_ids ?? [],
      });
      if (opts.binding) await kv.set(threadKey(opts.binding), session.id);
      if (opts.binding && opts.announce) await announce(session.id, opts.binding);
      logger.info(
        { sessionId: session.id, agent: agent.id, env: environment.id, thread: opts.binding?.thread },
        'session created',
      );
      if (opts.initialEvents && opts.initialEvents.length > 0)
        await runtime.send(session.id, opts.initialEvents, opts.author);
      return (await log.getSession(session.id)) ?? session;
    },

    async send(sessionId, events, author?: EventAuthor) {
      const session = await requireSession(sessionId);
      if (session.status === 'terminated') {
        throw new RuntimeError('terminated', `Session ${sessionId} is terminated; start a new session.`);
      }
      const parsed: NewEvent[] = events.map((raw, i) => {
        const result = UserEventParams.safeParse(raw);
        if (!result.success) {
          const issue = result.error.issues[0];
          const path = ['events', i, ...(issue?.path ?? [])].join('.');
          throw new RuntimeError('invalid', `${path}: ${issue?.message ?? 'invalid event'}`);
        }
        const event = result.data;
        return author && event.type !== 'user.custom_tool_result'
          ? ({ ...event, author } as NewEvent)
          : (event as NewEvent);
      });
      const stored = await log.append(sessionId, parsed);
      if (parsed.some((e) => e.type !== 'user.interrupt')) await queue.enqueue(sessionId);
      return stored;
    },

    async terminate(sessionId) {
      const session = await requireSession(sessionId);
      if (session.status !== 'terminated')
        await log.append(sessionId, [{ type: 'session.status_terminated' }]);
      await destroyHands(sessionId);
    },

    async deleteSession(sessionId) {
      const session = await requireSession(sessionId);
      const platform = session.metadata['threadhand.platform'];
      const thread = session.metadata['threadhand.thread'];
      if (session.status !== 'terminated') {
        await log.append(sessionId, [{ type: 'session.status_terminated' }]).catch(() => undefined);
      }
      await destroyHands(sessionId);
      if (platform && thread) await kv.delete(`thread:${platform}:${thread}`);
      for (const p of PLATFORMS) await stores.resources.delete(announcedKind(p), sessionId);
      await log.deleteSession(sessionId);
    },

    async bindThread(sessionId, binding, opts = {}) {
      await requireSession(sessionId);
      await kv.set(threadKey(binding), sessionId);
      if (opts.announce) await announce(sessionId, binding);
    },

    watchBindings,

    async sessionForThread(binding) {
      const id = (await kv.get(threadKey(binding))) as string | undefined;
      return id ?? undefined;
    },

    async waitForIdle(sessionId, opts = {}) {
      const deadline = Date.now() + (opts.timeoutMs ?? 10 * 60_000);
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), Math.max(0, deadline - Date.now()));
      try {
        const events = await log.read(sessionId);
        if (settled(events)) return requireSession(sessionId);
        const last = events[events.length - 1]?.id;
        const seen = [...events];
        for await (const item of log.follow(sessionId, { after: last, signal: controller.signal })) {
          if (item.kind !== 'event') continue;
          seen.push(item.event);
          if (settled(seen)) return requireSession(sessionId);
        }
        throw new RuntimeError('invalid', `Session ${sessionId} did not become idle in time.`);
      } catch (error) {
        if (controller.signal.aborted)
          throw new RuntimeError('invalid', `Session ${sessionId} did not become idle in time.`);
        if (error instanceof StoreError) throw new RuntimeError('not_found', error.message);
        throw error;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return runtime;
}

/** Idle after the newest input (or terminated): everything sent so far has been handled. */
function settled(events: { type: string }[]): boolean {
  let lastInput = -1;
  let lastStop = -1;
  events.forEach((e, i) => {
    if (
      e.type === 'user.message' ||
      e.type === 'user.tool_confirmation' ||
      e.type === 'user.custom_tool_result'
    )
      lastInput = i;
    if (e.type === 'session.status_idle' || e.type === 'session.status_terminated') lastStop = i;
  });
  if (events.some((e) => e.type === 'session.status_terminated')) return true;
  return lastStop > lastInput;
}
