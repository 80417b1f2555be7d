/**
 * Prometheus metrics for one Threadhand instance (its own prom-client Registry, never the
 * global one, so two instances in one process — tests, embedding — do not share counters).
 *
 * Most figures come from the session log itself: `observeSessionLog` decorates the store's
 * `SessionLog` so every event this process appends (and every live delta it publishes) passes
 * an observer, and durations are taken from the events' own `processed_at` stamps. Chosen over
 * a follower (one blocking reader per session does not scale) and over harness hooks (they
 * see runs only, not appends made by the API, front doors or sandbox providers). Every event
 * is appended by exactly one process, so counters summed across replicas are not doubled.
 * Session counts by status and chat API totals are read at scrape time.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { SessionEvent, StreamDelta } from '../events/schema.js';
import type { Logger } from '../logging.js';
import type { SessionLog, SessionStatus, Stores } from '../store/types.js';
import { type PriceTable, priceFor } from '../usage/prices.js';

const STATUSES: SessionStatus[] = ['idle', 'running', 'rescheduling', 'terminated'];
/** Sessions counted per status at most (a scrape must stay cheap on a big store). */
const COUNT_CAP = 10_000;

/**
 * A front door: cumulative chat API figures (the Slack service's `stats`), or a discord.js
 * client whose REST `response` / `rateLimited` events are counted from when it is seen.
 */
export interface ChatStatsSource {
  readonly name: string;
  readonly stats?: { calls: number; rateLimited: number };
  readonly client?: { rest?: RestEmitter } | null;
}

export interface MetricsOptions {
  /** Counts sessions by status at scrape time. */
  log?: Pick<SessionLog, 'listSessions'>;
  /** The model id a session's agent uses, for cost (undefined = unknown, no cost counted). */
  modelFor?: (sessionId: string) => Promise<string | undefined>;
  /** The price table, or a getter (the composition root loads it after building the stores). */
  prices?: PriceTable | (() => PriceTable);
  logger?: Logger;
}

export interface Metrics {
  readonly registry: Registry;
  /** Feeds stored events (after a successful append). */
  observeEvents(sessionId: string, events: SessionEvent[]): void;
  observeDelta(sessionId: string, delta: StreamDelta): void;
  observeAppend(seconds: number, ok: boolean): void;
  /** Front doors whose `stats` become `threadhand_chat_api_*` at scrape time. */
  addChatSource(source: ChatStatsSource): void;
  /** A discord.js-like REST emitter (`response`, `rateLimited` events) counted as `platform`. */
  countRestEmitter(platform: string, rest: RestEmitter): void;
  /** Prometheus text exposition. */
  render(): Promise<{ contentType: string; body: string }>;
}

export interface RestEmitter {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

interface SessionState {
  runningSince?: number;
  requestStarts: Map<string, number>;
  /** The open model request waiting for its first streamed token. */
  awaitingFirstToken?: number;
  tools: Map<string, string>;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const r = [registry];
  const modelCache = new Map<string, Promise<string | undefined>>();
  const chatSources: ChatStatsSource[] = [];
  const restCounts = new Map<string, { calls: number; rateLimited: number }>();
  const states = new Map<string, SessionState>();

  const sessions = new Gauge({
    name: 'threadhand_sessions',
    help: `Sessions by status (non-archived; counted up to ${COUNT_CAP} per status at scrape time).`,
    labelNames: ['status'],
    registers: r,
    async collect() {
      if (!options.log) return;
      for (const status of STATUSES) {
        let count = 0;
        let cursor: string | undefined;
        do {
          const page = await options.log.listSessions({
            statuses: [status],
            limit: 500,
            ...(cursor ? { cursor } : {}),
          });
          count += page.data.length;
          cursor = page.next ?? undefined;
        } while (cursor && count < COUNT_CAP);
        this.set({ status }, count);
      }
    },
  });
  void sessions;
  const turns = new Counter({
    name: 'threadhand_turns_total',
    help: 'Runs (turns) that ended idle, by stop reason.',
    labelNames: ['stop_reason'],
    registers: r,
  });
  const turnSeconds = new Histogram({
    name: 'threadhand_turn_duration_seconds',
    help: 'Running to idle, per run.',
    buckets: [1, 5, 15, 30, 60, 120, 300, 900, 3600],
    registers: r,
  });
  const toolCalls = new Counter({
    name: 'threadhand_tool_calls_total',
    help: 'Tool calls by tool and outcome (ok, error; custom tools: requested).',
    labelNames: ['tool', 'outcome'],
    registers: r,
  });
  const modelLatency = new Histogram({
    name: 'threadhand_model_request_duration_seconds',
    help: 'Model request start to end (includes streaming).',
    labelNames: ['outcome'],
    buckets: [0.5, 1, 2, 5, 10, 20, 40, 80, 160],
    registers: r,
  });
  const ttft = new Histogram({
    name: 'threadhand_model_time_to_first_token_seconds',
    help: 'Model request start to the first streamed token.',
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
    registers: r,
  });
  const tokens = new Counter({
    name: 'threadhand_tokens_total',
    help: 'Model tokens by kind (input, output, cache_read, cache_write).',
    labelNames: ['kind'],
    registers: r,
  });
  const cost = new Counter({
    name: 'threadhand_cost_usd_total',
    help: 'Estimated model cost in USD (price table, THREADHAND_PRICES_FILE).',
    registers: r,
  });
  const sandboxOps = new Counter({
    name: 'threadhand_sandbox_operations_total',
    help: 'Sandbox lifecycle steps by provider and operation (provision, resume, pause, ...).',
    labelNames: ['provider', 'operation'],
    registers: r,
  });
  const sandboxSeconds = new Counter({
    name: 'threadhand_sandbox_active_seconds_total',
    help: 'Seconds sandboxes ran (reported when they pause or are destroyed).',
    labelNames: ['provider'],
    registers: r,
  });
  const appendSeconds = new Histogram({
    name: 'threadhand_log_append_duration_seconds',
    help: 'SessionLog.append latency.',
    labelNames: ['outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: r,
  });
  const errors = new Counter({
    name: 'threadhand_session_errors_total',
    help: 'session.error events by error type.',
    labelNames: ['type'],
    registers: r,
  });
  new Counter({
    name: 'threadhand_chat_api_calls_total',
    help: 'Chat platform API calls by platform (including retried ones).',
    labelNames: ['platform'],
    registers: r,
    collect() {
      this.reset();
      for (const [platform, s] of chatTotals()) this.inc({ platform }, s.calls);
    },
  });
  new Counter({
    name: 'threadhand_chat_api_rate_limited_total',
    help: 'Chat platform API answers 429 (rate limited) by platform.',
    labelNames: ['platform'],
    registers: r,
    collect() {
      this.reset();
      for (const [platform, s] of chatTotals()) this.inc({ platform }, s.rateLimited);
    },
  });

  function chatTotals(): Map<string, { calls: number; rateLimited: number }> {
    const totals = new Map<string, { calls: number; rateLimited: number }>();
    const add = (platform: string, s: { calls: number; rateLimited: number }) => {
      const t = totals.get(platform) ?? { calls: 0, rateLimited: 0 };
      totals.set(platform, { calls: t.calls + s.calls, rateLimited: t.rateLimited + s.rateLimited });
    };
    for (const source of chatSources) {
      if (source.stats) add(source.name, source.stats);
      attachClient(source);
    }
    for (const [platform, s] of restCounts) add(platform, s);
    return totals;
  }

  const attached = new WeakSet<object>();
  function attachClient(source: ChatStatsSource): void {
    const rest = source.client?.rest;
    if (!rest || attached.has(rest)) return;
    attached.add(rest);
    countRest(source.name, rest);
  }
  function countRest(platform: string, rest: RestEmitter): void {
    const counts = restCounts.get(platform) ?? { calls: 0, rateLimited: 0 };
    restCounts.set(platform, counts);
    rest.on('response', () => {
      counts.calls += 1;
    });
    rest.on('rateLimited', () => {
      counts.rateLimited += 1;
    });
  }

  const state = (sessionId: string): SessionState => {
    let s = states.get(sessionId);
    if (!s) {
      s = { requestStarts: new Map(), tools: new Map() };
      states.set(sessionId, s);
    }
    return s;
  };

  function modelFor(sessionId: string): Promise<string | undefined> {
    let cached = modelCache.get(sessionId);
    if (!cached) {
      cached = (options.modelFor?.(sessionId) ?? Promise.resolve(undefined)).catch(() => undefined);
      modelCache.set(sessionId, cached);
    }
    return cached;
  }

  function observe(sessionId: string, e: SessionEvent): void {
    const at = Date.parse(e.processed_at);
    const s = state(sessionId);
    switch (e.type) {
      case 'session.status_running':
        s.runningSince = at;
        break;
      case 'session.status_idle':
        turns.inc({ stop_reason: e.stop_reason.type });
        if (s.runningSince !== undefined) turnSeconds.observe(Math.max(0, at - s.runningSince) / 1000);
        states.delete(sessionId);
        // Looked up again next turn: the cache stays as small as the set of running sessions.
        modelCache.delete(sessionId);
        break;
      case 'session.status_terminated':
      case 'session.deleted':
        states.delete(sessionId);
        modelCache.delete(sessionId);
        break;
      case 'span.model_request_start':
        s.requestStarts.set(e.id, at);
        s.awaitingFirstToken = at;
        break;
      case 'span.model_request_end': {
        const started = s.requestStarts.get(e.model_request_start_id);
        s.requestStarts.delete(e.model_request_start_id);
        s.awaitingFirstToken = undefined;
        if (started !== undefined)
          modelLatency.observe({ outcome: e.is_error ? 'error' : 'ok' }, Math.max(0, at - started) / 1000);
        const u = e.model_usage;
        tokens.inc({ kind: 'input' }, u.input_tokens);
        tokens.inc({ kind: 'output' }, u.output_tokens);
        tokens.inc({ kind: 'cache_read' }, u.cache_read_input_tokens);
        tokens.inc({ kind: 'cache_write' }, u.cache_creation_input_tokens);
        void modelFor(sessionId).then((model) => {
          const table = typeof options.prices === 'function' ? options.prices() : options.prices;
          const price = model && table ? priceFor(table, model) : undefined;
          if (!price) return;
          const usd =
            (u.input_tokens * price.input +
              u.output_tokens * price.output +
              u.cache_read_input_tokens * price.cache_read +
              u.cache_creation_input_tokens * price.cache_write) /
            1_000_000;
          if (usd > 0) cost.inc(usd);
        });
        break;
      }
      case 'agent.message':
      case 'agent.thinking':
        // A whole block stored before any delta: the answer was not streamed, no first token to time.
        s.awaitingFirstToken = undefined;
        break;
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
        s.awaitingFirstToken = undefined;
        s.tools.set(e.id, e.type === 'agent.mcp_tool_use' ? `${e.mcp_server_name}.${e.name}` : e.name);
        break;
      case 'agent.custom_tool_use':
        toolCalls.inc({ tool: e.name, outcome: 'requested' });
        break;
      case 'agent.tool_result':
      case 'agent.mcp_tool_result': {
        const id = e.type === 'agent.tool_result' ? e.tool_use_id : e.mcp_tool_use_id;
        const tool = s.tools.get(id) ?? 'unknown';
        s.tools.delete(id);
        toolCalls.inc({ tool, outcome: e.is_error ? 'error' : 'ok' });
        break;
      }
      case 'span.sandbox_operation':
        sandboxOps.inc({ provider: e.provider, operation: e.operation });
        if (e.active_seconds) sandboxSeconds.inc({ provider: e.provider }, e.active_seconds);
        break;
      case 'session.error':
        errors.inc({ type: e.error.type });
        break;
      default:
        break;
    }
  }

  return {
    registry,
    observeEvents(sessionId, events) {
      for (const event of events) {
        try {
          observe(sessionId, event);
        } catch (error) {
          options.logger?.debug({ err: error, sessionId }, 'metrics: event not counted');
        }
      }
    },
    observeDelta(sessionId, delta) {
      const s = states.get(sessionId);
      if (s?.awaitingFirstToken === undefined) return;
      if (delta.type !== 'event_delta' && delta.type !== 'event_start') return;
      ttft.observe(Math.max(0, Date.now() - s.awaitingFirstToken) / 1000);
      s.awaitingFirstToken = undefined;
    },
    observeAppend(seconds, ok) {
      appendSeconds.observe({ outcome: ok ? 'ok' : 'error' }, seconds);
    },
    addChatSource(source) {
      chatSources.push(source);
      attachClient(source);
    },
    countRestEmitter: countRest,
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** The same log, with every append timed and every stored event and delta shown to `metrics`. */
export function observeSessionLog(
  log: SessionLog,
  metrics: Pick<Metrics, 'observeEvents' | 'observeDelta' | 'observeAppend'>,
): SessionLog {
  return {
    createSession: (session) => log.createSession(session),
    getSession: (id) => log.getSession(id),
    updateSession: (id, patch) => log.updateSession(id, patch),
    listSessions: (options) => log.listSessions(options),
    deleteSession: (id) => log.deleteSession(id),
    async append(sessionId, events, options) {
      const started = performance.now();
      try {
        const stored = await log.append(sessionId, events, options);
        metrics.observeAppend((performance.now() - started) / 1000, true);
        metrics.observeEvents(sessionId, stored);
        return stored;
      } catch (error) {
        metrics.observeAppend((performance.now() - started) / 1000, false);
        throw error;
      }
    },
    read: (sessionId, options) => log.read(sessionId, options),
    follow: (sessionId, options) => log.follow(sessionId, options),
    publishDelta(sessionId, delta) {
      metrics.observeDelta(sessionId, delta);
      log.publishDelta(sessionId, delta);
    },
    close: () => log.close(),
  };
}

/** `stores` with its log observed (other parts, e.g. Redis `claims`, kept as they are). */
export function withObservedLog<S extends Stores>(stores: S, metrics: Metrics): S {
  return { ...stores, log: observeSessionLog(stores.log, metrics), close: () => stores.close() };
}

/** A readiness check that the store answers (SQLite query / Redis round trip) within `timeoutMs`. */
export function storeReadiness(log: Pick<SessionLog, 'getSession'>, name = 'store', timeoutMs = 2000) {
  return {
    name,
    async notReady(): Promise<string | null> {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`${name}: no answer within ${timeoutMs} ms`), timeoutMs);
      });
      const probe = log.getSession('sesn_readyz_probe').then(
        () => null,
        (error: unknown) => `${name}: ${error instanceof Error ? error.message : String(error)}`,
      );
      try {
        return await Promise.race([probe, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
