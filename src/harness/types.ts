import type { AgentConfig, EnvironmentConfig } from '../config/schema.js';
import type { SessionEvent } from '../events/schema.js';
import type { Logger } from '../logging.js';
import type { Catalog } from '../runtime/types.js';
import type { Sandbox } from '../sandbox/types.js';
import type { LeaseManager, SessionLog, SessionRecord, WakeQueue } from '../store/types.js';
import type { Toolset } from '../tools/types.js';
import type { ModelClient, ModelMessage, ModelRequest } from './model/client.js';

export interface SessionContext {
  session: SessionRecord;
  agent: AgentConfig;
  environment: EnvironmentConfig;
}

/** What a hook may decide before a model call (budgets, compaction). */
export type BeforeModelCall =
  | {
      action: 'continue';
      /** Abort the model call after `ms` (the wall time left); `message` ends the turn. */
      stopAfter?: { ms: number; message: string };
    }
  /** End the turn idle with `budget_reached`; `message` is shown to the user. */
  | { action: 'stop'; stopReason: 'budget_reached'; message: string };

/** What a hook may decide before one tool call runs (budgets). */
export type BeforeToolCall =
  | {
      action: 'continue';
      /** Stop the tool after `ms` (the wall time left); `result` answers it, `message` ends the turn. */
      stopAfter?: { ms: number; message: string; result: string };
    }
  /** Do not run it: answer it with `result` (an error), then end the turn idle showing `message`. */
  | { action: 'stop'; stopReason: 'budget_reached'; message: string; result: string };

export interface HarnessHooks {
  /** Called before every model call with the log so far; may stop the turn (budgets). */
  beforeModelCall?(ctx: SessionContext, events: SessionEvent[]): Promise<BeforeModelCall>;
  /** Called before each tool call the harness runs, with the log so far; may refuse or time it. */
  beforeToolCall?(ctx: SessionContext, events: SessionEvent[], toolUseId: string): Promise<BeforeToolCall>;
  /** May rewrite the request (compaction, clipping) before it is sent. */
  prepareRequest?(ctx: SessionContext, events: SessionEvent[], request: ModelRequest): Promise<ModelRequest>;
  /** Called after a run ends (usage totals, metrics). */
  afterRun?(ctx: SessionContext, events: SessionEvent[]): Promise<void>;
}

export interface HarnessOptions {
  log: SessionLog;
  leases: LeaseManager;
  /** Used to re-wake a session when input arrived while its lease was being released. */
  queue?: WakeQueue;
  catalog: Catalog;
  model: ModelClient;
  /** Builds the tools offered in one session (built-ins, custom, MCP, test tools). */
  toolsetFor(ctx: SessionContext): Promise<Toolset>;
  /**
   * The session's sandbox, provisioned only when a tool first asks for it. `operation` is set
   * when this call provisioned or reconnected one (recorded as `span.sandbox_operation`).
   */
  sandboxFor(ctx: SessionContext): Promise<SandboxHandle>;
  logger: Logger;
  /** Lease owner id (process identity). */
  owner?: string;
  leaseTtlMs?: number;
  /** Model retries after the first attempt (default 4). */
  maxRetries?: number;
  /** First backoff delay (default 1000 ms), doubled per attempt, capped at `retryMaxMs`. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  hooks?: HarnessHooks;
}

export interface SandboxHandle {
  sandbox: Sandbox;
  /**
   * The harness records this sandbox's active time: at the end of each run, the growth of
   * `counters().activeSeconds` as a `span.sandbox_operation` (for providers that do not
   * report their own, see `SandboxProvider.activeTimeRecordedBy`).
   */
  recordActiveTime?: boolean;
  operation?: {
    operation: 'provision' | 'reconnect' | 'recreate';
    provider: string;
    duration_ms: number;
    sandbox_id?: string;
  };
}

export type WakeOutcome = 'ran' | 'busy' | 'nothing' | 'missing' | 'fenced';

/** Contract: stateless; `wake` may run in any process; state lives only in the log. */
export interface Harness {
  wake(sessionId: string): Promise<WakeOutcome>;
  /** Aborts every run in this process (shutdown); their leases are released. */
  abortAll(reason: string): void;
  /** Sessions currently running in this process. */
  active(): string[];
}

export type { ModelMessage };
