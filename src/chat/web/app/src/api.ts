/**
 * The console's client of the `/v1` API (the Managed Agents wire format). The API key lives in
 * sessionStorage only: closing the tab forgets it.
 */
import type { SessionEvent, UserEventParams } from '../../../../events/schema.js';

export type { SessionEvent, StreamDelta, UserEventParams } from '../../../../events/schema.js';

const KEY_STORAGE = 'threadhand.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}
export function storeKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

export function authHeaders(): Record<string, string> {
  const key = storedKey();
  return key ? { 'x-api-key': key } : {};
}

/** Fired when the server answers 401: the app shows the login screen. */
export const authEvents = new EventTarget();

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const response = await fetch(`/v1${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...authHeaders(),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const error = (json as { error?: { type?: string; message?: string } } | null)?.error;
    if (response.status === 401) authEvents.dispatchEvent(new Event('unauthorized'));
    throw new ApiFailure(
      response.status,
      error?.type ?? 'api_error',
      error?.message ?? `HTTP ${response.status}`,
    );
  }
  return json as T;
}

interface Page<T> {
  data: T[];
  next_page: string | null;
}

/** Reads every page of a list endpoint. */
export async function listAll<T>(path: string, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  let page: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const url: string = `${path}${sep}limit=1000${page ? `&page=${encodeURIComponent(page)}` : ''}`;
    const result: Page<T> = await api<Page<T>>(url, signal ? { signal } : {});
    out.push(...result.data);
    page = result.next_page;
  } while (page);
  return out;
}

// ---- Wire shapes the console reads (subsets of the SDK's beta types) ----

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation?: { ephemeral_5m_input_tokens?: number; ephemeral_1h_input_tokens?: number } | null;
}

export interface StopReasonWire {
  type: string;
  event_ids?: string[];
}

export interface Session {
  type: 'session';
  id: string;
  agent: { id: string; name: string; version: number; model?: { id: string } };
  environment_id: string;
  status: 'idle' | 'running' | 'rescheduling' | 'terminated';
  title: string | null;
  metadata: Record<string, string>;
  usage?: Usage;
  stats?: { active_seconds?: number; duration_seconds?: number };
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  /** Threadhand extension. */
  threadhand?: {
    stop_reason?: StopReasonWire | null;
    event_count?: number;
    last_event_id?: string | null;
    cost_usd?: number;
  };
}

export interface Agent {
  type: 'agent';
  id: string;
  name: string;
  version: number;
  description: string | null;
  system: string | null;
  model: { id: string; effort?: { type: string }; speed?: string };
  tools: Array<Record<string, unknown>>;
  mcp_servers: Array<{ name: string; type: string; url?: string }>;
  created_at: string;
  threadhand?: { source?: string; max_tokens?: number };
}

export interface Environment {
  type: 'environment';
  id: string;
  name: string;
  description: string | null;
  config: { networking?: unknown; packages?: Record<string, unknown> };
  created_at: string;
  threadhand?: { source?: string; provider?: string; idle_pause_seconds?: number };
}

export interface Vault {
  type: 'vault';
  id: string;
  display_name: string | null;
  created_at: string;
  archived_at: string | null;
}

export interface Credential {
  type: 'vault_credential';
  id: string;
  vault_id: string;
  display_name: string | null;
  auth: { type: string };
  created_at: string;
  archived_at: string | null;
}

export const sessions = {
  list: (signal?: AbortSignal) => listAll<Session>('/sessions', signal),
  get: (id: string, signal?: AbortSignal) =>
    api<Session>(`/sessions/${encodeURIComponent(id)}`, signal ? { signal } : {}),
  create: (body: Record<string, unknown>) => api<Session>('/sessions', { body }),
  events: (id: string, signal?: AbortSignal) =>
    listAll<SessionEvent>(`/sessions/${encodeURIComponent(id)}/events`, signal),
  send: (id: string, events: UserEventParams[]) =>
    api<{ data: SessionEvent[] }>(`/sessions/${encodeURIComponent(id)}/events`, { body: { events } }),
};

export const platformOf = (session: Session): string =>
  session.metadata['threadhand.platform'] ??
  (session.metadata['threadhand.slack_thread']
    ? 'slack'
    : session.metadata['threadhand.discord_thread']
      ? 'discord'
      : 'api');

/** A thread link is shown only for http(s) URLs. */
export function threadUrlOf(session: Session): string | null {
  const url = session.metadata['threadhand.thread_url'];
  return url && /^https?:\/\//i.test(url) ? url : null;
}

export const totalTokens = (u: Usage | undefined): number =>
  u
    ? u.input_tokens +
      u.output_tokens +
      u.cache_read_input_tokens +
      (u.cache_creation?.ephemeral_5m_input_tokens ?? 0) +
      (u.cache_creation?.ephemeral_1h_input_tokens ?? 0)
    : 0;

/** Cost as the server prices it (`threadhand.cost_usd`, when the server reports one). */
export function costOf(session: Session): string | null {
  const cost = session.threadhand?.cost_usd;
  return typeof cost === 'number' ? `$${cost < 1 ? cost.toFixed(3) : cost.toFixed(2)}` : null;
}
