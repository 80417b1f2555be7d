import type { AgentConfig, EnvironmentConfig } from '../config/schema.js';
import type { EventAuthor, SessionEvent, UserEventParams } from '../events/schema.js';
import type { SessionRecord, Stores, ThreadBinding } from '../store/types.js';
import type { PriceTable } from '../usage/prices.js';

/** A versioned agent as the runtime sees it: YAML-defined (read-only) or made through the API. */
export interface AgentRecord {
  id: string;
  version: number;
  source: 'yaml' | 'api';
  config: AgentConfig;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

export interface EnvironmentRecord {
  id: string;
  source: 'yaml' | 'api';
  config: EnvironmentConfig;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

/**
 * Contract: resolves agents and environments by id or name. YAML-defined ones have id =
 * name and are read-only; API-made ones are stored in the ResourceStore and versioned.
 */
export interface Catalog {
  getAgent(idOrName: string, version?: number): Promise<AgentRecord | undefined>;
  listAgents(): Promise<AgentRecord[]>;
  getEnvironment(idOrName: string): Promise<EnvironmentRecord | undefined>;
  listEnvironments(): Promise<EnvironmentRecord[]>;
  defaultAgent(): string;
  defaultEnvironment(): string;
}

export interface CreateSessionOptions {
  agent?: string;
  agentVersion?: number;
  environment?: string;
  title?: string | null;
  metadata?: Record<string, string>;
  vault_ids?: string[];
  /** Chat thread this session is bound to (recorded in KV: thread -> session). */
  binding?: ThreadBinding;
  /**
   * Also announce the binding to the platform's front door, which then draws the session into
   * that thread (for sessions not started by that front door, e.g. through the API).
   */
  announce?: boolean;
  /** First events, e.g. the task as a `user.message`. */
  initialEvents?: UserEventParams[];
  author?: EventAuthor;
}

/**
 * Contract: the one way front doors (chat, API, CLI) change sessions. `send` appends the
 * user events atomically, then wakes the session (a harness run somewhere picks them up:
 * steering while running, a new turn while idle). Nothing sent is ever dropped.
 */
export interface Runtime {
  readonly stores: Stores;
  readonly catalog: Catalog;
  /** Model prices for cost shown anywhere (honours `THREADHAND_PRICES_FILE`). */
  readonly prices: PriceTable;
  createSession(options: CreateSessionOptions): Promise<SessionRecord>;
  send(sessionId: string, events: UserEventParams[], author?: EventAuthor): Promise<SessionEvent[]>;
  /** Terminates (status_terminated) and destroys the session's sandbox; keeps the log. */
  terminate(sessionId: string): Promise<void>;
  /** Deletes the session, its log and its sandbox workspace. */
  deleteSession(sessionId: string): Promise<void>;
  /** Records thread -> session; with `announce`, the platform's front door starts drawing it there. */
  bindThread(sessionId: string, binding: ThreadBinding, options?: { announce?: boolean }): Promise<void>;
  sessionForThread(binding: Pick<ThreadBinding, 'platform' | 'thread'>): Promise<string | undefined>;
  /**
   * Hands announced bindings of `platform` to `take`: those pending when called, new ones of
   * this process at once, other processes' within `pollMs`. Each announcement goes to one
   * watcher across all processes; it is removed once `take` resolves true (false or a throw
   * leaves it to be offered again later).
   */
  watchBindings(
    platform: ThreadBinding['platform'],
    take: (binding: AnnouncedBinding) => Promise<boolean>,
    options?: { pollMs?: number },
  ): BindingWatch;
  /** Resolves when the session is idle or terminated (after its current run). */
  waitForIdle(sessionId: string, options?: { timeoutMs?: number }): Promise<SessionRecord>;
}

/** A binding a front door should draw: kept in the shared store until a front door takes it. */
export interface AnnouncedBinding extends ThreadBinding {
  sessionId: string;
  /** Unique per announcement, so a re-binding is offered again. */
  id: string;
  at: string;
}

export interface BindingWatch {
  /** Looks for announcements now (also what the timer and in-process announcements do). */
  check(): Promise<void>;
  stop(): void;
}

/** A front door or other long-running part started by `threadhand start`. */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** For /readyz: null when ready, else what is wrong. */
  notReady?(): string | null;
}
