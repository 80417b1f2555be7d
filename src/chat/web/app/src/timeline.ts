/**
 * Folds durable events and live deltas into timeline items. Durable events are keyed by id and
 * applied once (a replay after a reconnect is a no-op); a live preview (`event_start` +
 * `event_delta`) is replaced by the next durable event of its type.
 */
import type { SessionEvent, StreamDelta, Usage } from './api.js';

export type ToolItem = {
  kind: 'tool';
  id: string;
  name: string;
  server?: string;
  custom: boolean;
  input: Record<string, unknown>;
  output: string;
  result?: { text: string; isError: boolean; exitCode: number | null; at: string };
  startedAt: string;
  ask: boolean;
  confirmation?: { result: 'allow' | 'deny'; message?: string | null; by?: string };
};

export type Item =
  | { kind: 'user'; id: string; text: string; by?: string; at: string }
  | { kind: 'agent'; id: string; text: string; live: boolean; at: string }
  | { kind: 'thinking'; id: string; text: string; live: boolean }
  | ToolItem
  | { kind: 'interrupt'; id: string; by?: string }
  | { kind: 'status'; id: string; text: string; tone: 'info' | 'warn' | 'error' }
  | { kind: 'error'; id: string; type: string; message: string; retry: string }
  | { kind: 'compaction'; id: string; summary?: string }
  | { kind: 'usage'; id: string; usage: ModelUsage; ms: number | null; isError: boolean }
  | { kind: 'sandbox'; id: string; text: string; isError: boolean }
  | { kind: 'system'; id: string; text: string };

type ModelUsage = Extract<SessionEvent, { type: 'span.model_request_end' }>['model_usage'];

export interface TimelineState {
  items: Item[];
  status: 'idle' | 'running' | 'rescheduling' | 'terminated' | 'unknown';
  stopReason: string | null;
  /** Tool use ids waiting for Approve / Deny. */
  pending: string[];
  usage: Usage;
  lastEventId: string | null;
  /** Durable events in log order (for the trace). */
  events: readonly SessionEvent[];
}

const textOf = (content: ReadonlyArray<{ type: string; text?: string }> | undefined): string =>
  (content ?? []).map((b) => (b.type === 'text' ? (b.text ?? '') : `[${b.type}]`)).join('');

/** The API's own author (the console, SDK clients) stays unnamed: it is "you". */
const authorName = (a: { display_name?: string; user_id: string; platform: string } | undefined) =>
  a && !(a.platform === 'api' && a.user_id === 'api')
    ? `${a.display_name ?? a.user_id} (${a.platform})`
    : undefined;

function by(author: Parameters<typeof authorName>[0]): { by?: string } {
  const name = authorName(author);
  return name ? { by: name } : {};
}

export class Timeline {
  private items: Item[] = [];
  private readonly seen = new Set<string>();
  private readonly previews = new Map<string, 'agent' | 'thinking'>();
  private readonly starts = new Map<string, string>();
  private status: TimelineState['status'] = 'unknown';
  private stopReason: string | null = null;
  private pending: string[] = [];
  private usage: Usage = {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0 },
  };
  private lastEventId: string | null = null;
  private events: SessionEvent[] = [];
  private snapshot: TimelineState | null = null;

  state(): TimelineState {
    this.snapshot ??= {
      items: this.items,
      status: this.status,
      stopReason: this.stopReason,
      pending: this.pending,
      usage: this.usage,
      lastEventId: this.lastEventId,
      events: this.events,
    };
    return this.snapshot;
  }

  private changed(): void {
    this.items = [...this.items];
    this.snapshot = null;
  }

  private indexOf(id: string): number {
    return this.items.findIndex((i) => i.id === id);
  }

  private replace(id: string, next: Item): void {
    const at = this.indexOf(id);
    if (at >= 0) this.items[at] = next;
  }

  /** Appends a durable item, or swaps it in for the oldest live preview of the same kind. */
  private settle(kind: 'agent' | 'thinking', item: Item): void {
    for (const [previewId, previewKind] of this.previews) {
      if (previewKind !== kind) continue;
      this.previews.delete(previewId);
      const at = this.indexOf(previewId);
      if (at >= 0) {
        this.items[at] = item;
        return;
      }
    }
    this.items.push(item);
  }

  applyEvent(event: SessionEvent): boolean {
    if (this.seen.has(event.id)) return false;
    this.seen.add(event.id);
    this.lastEventId = event.id;
    this.events = [...this.events, event];
    switch (event.type) {
      case 'user.message':
        this.items.push({
          kind: 'user',
          id: event.id,
          text: textOf(event.content),
          at: event.processed_at,
          ...by(event.author),
        });
        break;
      case 'user.interrupt':
        this.items.push({ kind: 'interrupt', id: event.id, ...by(event.author) });
        break;
      case 'user.tool_confirmation': {
        const at = this.indexOf(event.tool_use_id);
        const tool = this.items[at];
        if (tool?.kind === 'tool') {
          this.items[at] = {
            ...tool,
            confirmation: { result: event.result, message: event.deny_message ?? null, ...by(event.author) },
          };
        }
        this.pending = this.pending.filter((id) => id !== event.tool_use_id);
        break;
      }
      case 'user.custom_tool_result':
        this.finishTool(
          event.custom_tool_use_id,
          textOf(event.content),
          event.is_error ?? false,
          event.processed_at,
        );
        break;
      case 'agent.message':
        this.settle('agent', {
          kind: 'agent',
          id: event.id,
          text: textOf(event.content),
          live: false,
          at: event.processed_at,
        });
        break;
      case 'agent.thinking':
        this.settle('thinking', { kind: 'thinking', id: event.id, text: event.thinking ?? '', live: false });
        break;
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
      case 'agent.custom_tool_use':
        this.items.push({
          kind: 'tool',
          id: event.id,
          name: event.name,
          ...(event.type === 'agent.mcp_tool_use' ? { server: event.mcp_server_name } : {}),
          custom: event.type === 'agent.custom_tool_use',
          input: event.input,
          output: '',
          startedAt: event.processed_at,
          ask: event.type !== 'agent.custom_tool_use' && event.evaluated_permission === 'ask',
        });
        break;
      case 'agent.tool_result':
        this.finishTool(
          event.tool_use_id,
          textOf(event.content),
          event.is_error ?? false,
          event.processed_at,
        );
        break;
      case 'agent.mcp_tool_result':
        this.finishTool(
          event.mcp_tool_use_id,
          textOf(event.content),
          event.is_error ?? false,
          event.processed_at,
        );
        break;
      case 'agent.thread_context_compacted':
        this.items.push({
          kind: 'compaction',
          id: event.id,
          ...(event.summary ? { summary: event.summary } : {}),
        });
        break;
      case 'session.error':
        this.items.push({
          kind: 'error',
          id: event.id,
          type: event.error.type,
          message: event.error.message,
          retry: event.error.retry_status.type,
        });
        break;
      case 'session.status_running':
        this.status = 'running';
        this.stopReason = null;
        break;
      case 'session.status_rescheduled':
        this.status = 'rescheduling';
        this.items.push({
          kind: 'status',
          id: event.id,
          text: 'Rescheduled: the run will resume on a worker',
          tone: 'warn',
        });
        break;
      case 'session.status_idle':
        this.status = 'idle';
        this.stopReason = event.stop_reason.type;
        this.pending = event.stop_reason.type === 'requires_action' ? [...event.stop_reason.event_ids] : [];
        this.endPreviews();
        if (event.stop_reason.type !== 'end_turn' && event.stop_reason.type !== 'requires_action') {
          this.items.push({
            kind: 'status',
            id: event.id,
            text: `Stopped: ${event.stop_reason.type.replace(/_/g, ' ')}`,
            tone: 'warn',
          });
        }
        break;
      case 'session.status_terminated':
        this.status = 'terminated';
        this.pending = [];
        this.endPreviews();
        this.items.push({ kind: 'status', id: event.id, text: 'Session terminated', tone: 'error' });
        break;
      case 'session.deleted':
        this.items.push({ kind: 'status', id: event.id, text: 'Session deleted', tone: 'error' });
        break;
      case 'span.model_request_start':
        this.starts.set(event.id, event.processed_at);
        break;
      case 'span.model_request_end': {
        const started = this.starts.get(event.model_request_start_id);
        const ms = started ? Date.parse(event.processed_at) - Date.parse(started) : null;
        const u = event.model_usage;
        this.usage = {
          input_tokens: this.usage.input_tokens + u.input_tokens,
          output_tokens: this.usage.output_tokens + u.output_tokens,
          cache_read_input_tokens: this.usage.cache_read_input_tokens + u.cache_read_input_tokens,
          cache_creation: {
            ephemeral_5m_input_tokens:
              (this.usage.cache_creation?.ephemeral_5m_input_tokens ?? 0) + u.cache_creation_input_tokens,
          },
        };
        this.items.push({ kind: 'usage', id: event.id, usage: u, ms, isError: event.is_error === true });
        break;
      }
      case 'span.sandbox_operation':
        this.items.push({
          kind: 'sandbox',
          id: event.id,
          text: `Sandbox ${event.operation} (${event.provider}${event.sandbox_id ? ` ${event.sandbox_id}` : ''}) in ${event.duration_ms} ms${event.message ? `: ${event.message}` : ''}`,
          isError: event.is_error,
        });
        break;
      case 'session.egress_denied':
        this.items.push({
          kind: 'status',
          id: event.id,
          text: `Network request to ${event.host} blocked: ${event.reason}`,
          tone: 'warn',
        });
        break;
      case 'system.message':
        this.items.push({ kind: 'system', id: event.id, text: textOf(event.content) });
        break;
      default:
        break;
    }
    this.changed();
    return true;
  }

  private finishTool(toolUseId: string, text: string, isError: boolean, at: string): void {
    const index = this.indexOf(toolUseId);
    const tool = this.items[index];
    if (tool?.kind !== 'tool') return;
    const exit = /\[exit code (-?\d+)\]/.exec(text);
    this.items[index] = {
      ...tool,
      result: { text, isError, exitCode: exit ? Number(exit[1]) : isError ? null : 0, at },
    };
  }

  /** A run ended: previews that never got their durable event stay as they are, marked done. */
  private endPreviews(): void {
    for (const id of this.previews.keys()) {
      const at = this.indexOf(id);
      const item = this.items[at];
      if (item && (item.kind === 'agent' || item.kind === 'thinking'))
        this.items[at] = { ...item, live: false };
    }
    this.previews.clear();
  }

  applyDelta(delta: StreamDelta): void {
    if (delta.type === 'event_start') {
      if (this.previews.has(delta.event.id) || this.seen.has(delta.event.id)) return;
      const kind = delta.event.type === 'agent.thinking' ? 'thinking' : 'agent';
      this.previews.set(delta.event.id, kind);
      this.items.push(
        kind === 'agent'
          ? { kind, id: delta.event.id, text: '', live: true, at: new Date().toISOString() }
          : { kind, id: delta.event.id, text: '', live: true },
      );
      this.changed();
      return;
    }
    const text = delta.delta.content.text;
    const at = this.indexOf(delta.event_id);
    const item = this.items[at];
    if (item?.kind === 'tool') {
      if (item.result) return;
      this.items[at] = { ...item, output: item.output + text };
    } else if ((item?.kind === 'agent' || item?.kind === 'thinking') && item.live) {
      this.items[at] = { ...item, text: item.text + text };
    } else if (!item && !this.seen.has(delta.event_id)) {
      // A preview whose event_start came before a reconnect: pick it up as agent text.
      this.previews.set(delta.event_id, 'agent');
      this.items.push({ kind: 'agent', id: delta.event_id, text, live: true, at: new Date().toISOString() });
    } else {
      return;
    }
    this.changed();
  }
}
