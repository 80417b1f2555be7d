import type Keyv from 'keyv';
import type { NewEvent, SessionEvent, StopReason, StreamDelta } from '../events/schema.js';

export type SessionStatus = 'idle' | 'running' | 'rescheduling' | 'terminated';

/** Where a session is bound in chat (zero or more per session). */
export interface ThreadBinding {
  platform: 'slack' | 'discord' | 'web' | 'api' | 'cli';
  /** Platform-specific thread key, e.g. `T123:C456:1700000000.000100` for Slack. */
  thread: string;
  url?: string;
}

/** The stored session row. Usage totals are derived from span events by readers. */
export interface SessionRecord {
  id: string;
  /** Agent name (YAML) or id (API), and the version the session pinned. */
  agent_id: string;
  agent_version: number;
  environment_id: string;
  title: string | null;
  metadata: Record<string, string>;
  vault_ids: string[];
  status: SessionStatus;
  stop_reason: StopReason | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  /** Id of the newest event, or null for an empty log. */
  last_event_id: string | null;
  event_count: number;
}

export interface NewSession {
  id?: string;
  agent_id: string;
  agent_version?: number;
  environment_id: string;
  title?: string | null;
  metadata?: Record<string, string>;
  vault_ids?: string[];
}

export interface SessionPatch {
  title?: string | null;
  metadata?: Record<string, string>;
  vault_ids?: string[];
  archived_at?: string | null;
}

export interface ListSessionsOptions {
  limit?: number;
  /** Opaque cursor from a previous page (`next`). */
  cursor?: string;
  order?: 'asc' | 'desc';
  includeArchived?: boolean;
  statuses?: SessionStatus[];
}

export interface Page<T> {
  data: T[];
  /** Cursor for the next page, or null when this was the last. */
  next: string | null;
}

export interface AppendOptions {
  /**
   * The lease's fencing token. When given, the append is refused with
   * `StoreError('fenced')` if a newer lease holder exists for the session.
   */
  fencingToken?: number;
}

/** Items a follower sees: stored events, and live-only deltas (never stored, never replayed). */
export type LogItem = { kind: 'event'; event: SessionEvent } | { kind: 'delta'; delta: StreamDelta };

export interface FollowOptions {
  /** Start after this event id; `undefined` = from the beginning, `'$'` = only new events. */
  after?: string;
  signal?: AbortSignal;
  /** Also deliver live deltas (text as it streams, tool output). Default false. */
  deltas?: boolean;
}

/**
 * Contract: the append-only per-session event log, the only source of truth.
 * - `append` is atomic: all events of one call are stored, contiguous and in order, or none.
 * - Appends to one session are totally ordered, also with many concurrent writers in many
 *   processes; ids are unique and sort (as strings) in log order within a session.
 * - `read(after)` returns exactly the events after `after`, in order; from any id, any time.
 * - `follow` yields every event appended after its start point, in order, with no gap and no
 *   duplicate, until the signal aborts; deltas are best-effort and live-only.
 * - Session status/stop_reason are updated in the same atomic step as the status event.
 */
export interface SessionLog {
  createSession(session: NewSession): Promise<SessionRecord>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  updateSession(id: string, patch: SessionPatch): Promise<SessionRecord>;
  listSessions(options?: ListSessionsOptions): Promise<Page<SessionRecord>>;
  /** Removes the session and its events. */
  deleteSession(id: string): Promise<void>;

  append(sessionId: string, events: NewEvent[], options?: AppendOptions): Promise<SessionEvent[]>;
  read(sessionId: string, options?: { after?: string; limit?: number }): Promise<SessionEvent[]>;
  follow(sessionId: string, options?: FollowOptions): AsyncIterable<LogItem>;
  /** Broadcast a live-only delta to followers that asked for deltas. */
  publishDelta(sessionId: string, delta: StreamDelta): void;

  close(): Promise<void>;
}

export interface Lease {
  sessionId: string;
  owner: string;
  /** Monotonic per session: a newer holder always has a larger token. */
  token: number;
}

/**
 * Contract: at most one live holder per session. `acquire` returns null while another
 * holder's lease is unexpired. Every successful acquire gets a larger token than any before
 * it for that session, and appends fenced with an older token are refused by the SessionLog.
 */
export interface LeaseManager {
  acquire(sessionId: string, owner: string, ttlMs: number): Promise<Lease | null>;
  /** Extends the lease; false when it was lost (expired and taken, or released). */
  renew(lease: Lease, ttlMs: number): Promise<boolean>;
  release(lease: Lease): Promise<void>;
}

/**
 * Contract: `enqueue` asks for `wake(sessionId)` to run somewhere soon. Several enqueues of
 * the same session may collapse into one run, but a wake enqueued after a run started
 * causes another run. Handlers run in any process consuming the queue.
 */
export interface WakeQueue {
  enqueue(sessionId: string): Promise<void>;
  consume(handler: (sessionId: string) => Promise<void>, options?: { concurrency?: number }): void;
  close(): Promise<void>;
}

export type KV = Keyv;

export type StoreErrorCode = 'not_found' | 'fenced' | 'conflict' | 'unavailable' | 'invalid';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Everything a process needs from storage, embedded (SQLite) or distributed (Redis). */
export interface Stores {
  log: SessionLog;
  kv: KV;
  leases: LeaseManager;
  queue: WakeQueue;
  /** Resource registry (agents, environments, vaults made through the API). */
  resources: ResourceStore;
  /** Atomic first-caller-wins claims (chat delivery dedupe). */
  claims: Claims;
  close(): Promise<void>;
}

/**
 * Contract: `claim(key, ttlMs)` is true for exactly one caller per key until `ttlMs` after
 * that winning claim, across every process sharing the store (concurrent callers included);
 * every other claim of the key in that window is false. Once the ttl has passed, the next
 * claim wins again. A get-then-set on the KV is not enough: two front doors that receive the
 * same chat event at once would both go ahead.
 */
export interface Claims {
  claim(key: string, ttlMs: number): Promise<boolean>;
}

/**
 * Contract: a small document store for versioned API-made resources, keyed by kind + id.
 * `put` replaces; `list` returns in creation order.
 */
export interface ResourceStore {
  get<T>(kind: string, id: string): Promise<T | undefined>;
  put<T>(kind: string, id: string, value: T): Promise<void>;
  delete(kind: string, id: string): Promise<void>;
  list<T>(kind: string): Promise<T[]>;
}
