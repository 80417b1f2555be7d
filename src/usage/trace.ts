/**
 * Spans of a session, derived from its log: model requests (`span.model_request_start/end`),
 * tool calls (`agent.*tool_use` -> result) and sandbox operations (`span.sandbox_operation`).
 * `renderTrace` draws them as a text waterfall for `threadhand sessions trace`.
 */
import type { SessionEvent } from '../events/schema.js';

export interface Span {
  kind: 'run' | 'model' | 'tool' | 'sandbox';
  name: string;
  /** Event id that opened the span. */
  id: string;
  startMs: number;
  endMs: number;
  isError: boolean;
  detail?: string;
}

export function traceSpans(events: SessionEvent[]): Span[] {
  const spans: Span[] = [];
  const open = new Map<string, Span>();
  let run: Span | undefined;
  for (const e of events) {
    const at = Date.parse(e.processed_at);
    switch (e.type) {
      case 'session.status_running':
        run = { kind: 'run', name: 'run', id: e.id, startMs: at, endMs: at, isError: false };
        spans.push(run);
        break;
      case 'session.status_idle':
      case 'session.status_terminated':
        if (run) {
          run.endMs = at;
          run.detail = e.type === 'session.status_idle' ? e.stop_reason.type : 'terminated';
          run = undefined;
        }
        break;
      case 'span.model_request_start': {
        const span: Span = {
          kind: 'model',
          name: 'model request',
          id: e.id,
          startMs: at,
          endMs: at,
          isError: false,
        };
        open.set(e.id, span);
        spans.push(span);
        break;
      }
      case 'span.model_request_end': {
        const span = open.get(e.model_request_start_id);
        if (span) {
          span.endMs = at;
          span.isError = Boolean(e.is_error);
          const u = e.model_usage;
          span.detail = `${u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens} in (${u.cache_read_input_tokens} cached) / ${u.output_tokens} out`;
          open.delete(e.model_request_start_id);
        }
        break;
      }
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
      case 'agent.custom_tool_use': {
        const name = e.type === 'agent.mcp_tool_use' ? `${e.mcp_server_name}/${e.name}` : e.name;
        const span: Span = {
          kind: 'tool',
          name,
          id: e.id,
          startMs: at,
          endMs: at,
          isError: false,
          detail: summariseInput(e.input),
        };
        open.set(e.id, span);
        spans.push(span);
        break;
      }
      case 'agent.tool_result':
      case 'agent.mcp_tool_result':
      case 'user.custom_tool_result': {
        const useId =
          e.type === 'agent.tool_result'
            ? e.tool_use_id
            : e.type === 'agent.mcp_tool_result'
              ? e.mcp_tool_use_id
              : e.custom_tool_use_id;
        const span = open.get(useId);
        if (span) {
          span.endMs = at;
          span.isError = Boolean(e.is_error);
          open.delete(useId);
        }
        break;
      }
      case 'span.sandbox_operation':
        spans.push({
          kind: 'sandbox',
          name: `sandbox ${e.operation}`,
          id: e.id,
          startMs: at - e.duration_ms,
          endMs: at,
          isError: e.is_error,
          detail: [e.provider, e.sandbox_id].filter(Boolean).join(' '),
        });
        break;
      default:
        break;
    }
  }
  return spans;
}

function summariseInput(input: Record<string, unknown>): string {
  const first = input.command ?? input.path ?? input.file_path ?? input.pattern ?? input.url ?? input.query;
  const text = typeof first === 'string' ? first : JSON.stringify(input);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A text waterfall: one line per span, bars placed on a shared time axis. */
export function renderTrace(spans: Span[], width = 40): string {
  if (spans.length === 0) return '(no spans)';
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const t1 = Math.max(...spans.map((s) => s.endMs));
  const total = Math.max(1, t1 - t0);
  const lines = spans.map((s) => {
    const from = Math.floor(((s.startMs - t0) / total) * width);
    const len = Math.max(1, Math.round(((s.endMs - s.startMs) / total) * width));
    const bar = `${' '.repeat(from)}${(s.isError ? '!' : '█').repeat(Math.min(len, width - from))}`.padEnd(
      width,
    );
    const ms = s.endMs - s.startMs;
    const label = `${s.kind === 'run' ? '' : '  '}${s.kind.padEnd(7)} ${s.name}`.slice(0, 34).padEnd(34);
    return `${label} ${String(s.startMs - t0).padStart(7)}ms ${String(ms).padStart(7)}ms |${bar}| ${s.detail ?? ''}`;
  });
  return [`${'span'.padEnd(34)} ${'start'.padStart(9)} ${'duration'.padStart(9)}`, ...lines].join('\n');
}
