/**
 * Usage and cost of a session, derived from its log: `span.model_request_end` carries each
 * request's tokens; tool calls and sandbox spans give the rest. Nothing is stored twice.
 */
import type { SessionEvent } from '../events/schema.js';
import { DEFAULT_PRICES, type PriceTable, priceFor } from './prices.js';

export interface TokenCounts {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/** USD for these tokens at the model's list price; undefined when the model has no price. */
export function costUsd(
  tokens: TokenCounts,
  model: string,
  prices: PriceTable = DEFAULT_PRICES,
): number | undefined {
  const price = priceFor(prices, model);
  if (!price) return undefined;
  return (
    (tokens.input_tokens * price.input +
      tokens.output_tokens * price.output +
      tokens.cache_read_input_tokens * price.cache_read +
      tokens.cache_creation_input_tokens * price.cache_write) /
    1_000_000
  );
}

export interface UsageTotals {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  model_requests: number;
  tool_calls: number;
  /** USD, from the price table; null when the model has no price. */
  cost_usd: number | null;
  /** Seconds the session spent running (status_running -> status_idle). */
  active_seconds: number;
  /** Time its sandboxes ran, as reported by their providers (see `SandboxTime`). */
  sandbox: SandboxTime;
}

/**
 * Sandbox running time from `span.sandbox_operation`: every stint's seconds are reported on
 * `pause`/`destroy`, by E2B itself and, for the local sandbox, by the harness at the end of each
 * run (its commands' run time). A provider that reports none leaves `active_seconds` null
 * rather than a guess.
 */
export interface SandboxTime {
  /** A sandbox operation was recorded at all. */
  used: boolean;
  /** Sum of the reported stints; null when a sandbox ran but no stint was reported. */
  active_seconds: number | null;
  /** A sandbox started after its last report: the current stint is not counted yet. */
  running: boolean;
}

export function emptySandboxTime(): SandboxTime {
  return { used: false, active_seconds: 0, running: false };
}

/** Adds one event to `time` (for callers that fold the log incrementally). */
export function foldSandboxTime(time: SandboxTime, e: SessionEvent): void {
  if (e.type !== 'span.sandbox_operation' || e.is_error) return;
  if (!time.used) time.active_seconds = null;
  time.used = true;
  if (e.operation === 'pause' || e.operation === 'destroy') {
    if (e.active_seconds !== undefined)
      time.active_seconds = Math.round(((time.active_seconds ?? 0) + e.active_seconds) * 1000) / 1000;
    time.running = false;
  } else {
    time.running = true;
  }
}

/** `sandbox 42.5s active`, or why there is no figure. */
export function formatSandboxTime(t: SandboxTime): string {
  if (!t.used) return 'no sandbox';
  if (t.active_seconds === null) return 'sandbox time not recorded (its provider does not report it)';
  return `sandbox ${t.active_seconds}s active${t.running ? ' + current stint (running, not yet reported)' : ''}`;
}

/**
 * Start of the tool result the harness writes for a call it refused because the budget was
 * reached: such calls never ran, so they do not count as tool calls.
 */
export const BUDGET_REFUSAL_PREFIX = 'Not run: the budget was reached.';

function isBudgetRefusal(e: SessionEvent): boolean {
  if (e.type !== 'agent.tool_result' && e.type !== 'agent.mcp_tool_result') return false;
  const first = e.content?.[0];
  return Boolean(e.is_error) && first?.type === 'text' && first.text.startsWith(BUDGET_REFUSAL_PREFIX);
}

/** Tool calls the model asked for among `events` (built-in, MCP and custom). */
export function countToolUses(events: SessionEvent[]): number {
  return events.filter(
    (e) =>
      e.type === 'agent.tool_use' || e.type === 'agent.mcp_tool_use' || e.type === 'agent.custom_tool_use',
  ).length;
}

/** Tool calls among `events` that were refused because the budget was reached. */
export function countBudgetRefusals(events: SessionEvent[]): number {
  return events.filter(isBudgetRefusal).length;
}

/** Tool calls that ran (or were handed to the user): refused ones do not count. */
export function countToolCalls(events: SessionEvent[]): number {
  return countToolUses(events) - countBudgetRefusals(events);
}

export function emptyUsage(): UsageTotals {
  return {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    model_requests: 0,
    tool_calls: 0,
    cost_usd: 0,
    active_seconds: 0,
    sandbox: emptySandboxTime(),
  };
}

/** Totals over `events` (pass a slice for one turn). */
export function computeUsage(events: SessionEvent[], model: string, prices: PriceTable): UsageTotals {
  const totals = emptyUsage();
  let runningSince: number | undefined;
  for (const e of events) {
    switch (e.type) {
      case 'span.model_request_end':
        totals.model_requests++;
        totals.input_tokens += e.model_usage.input_tokens;
        totals.output_tokens += e.model_usage.output_tokens;
        totals.cache_read_input_tokens += e.model_usage.cache_read_input_tokens;
        totals.cache_creation_input_tokens += e.model_usage.cache_creation_input_tokens;
        break;
      case 'session.status_running':
        runningSince = Date.parse(e.processed_at);
        break;
      case 'session.status_idle':
      case 'session.status_terminated':
        if (runningSince !== undefined)
          totals.active_seconds += (Date.parse(e.processed_at) - runningSince) / 1000;
        runningSince = undefined;
        break;
      default:
        break;
    }
    foldSandboxTime(totals.sandbox, e);
  }
  totals.tool_calls = countToolCalls(events);
  totals.cost_usd = costUsd(totals, model, prices) ?? null;
  totals.active_seconds = Math.round(totals.active_seconds * 1000) / 1000;
  return totals;
}

/** Events of the newest turn: from the last user.message that started a run. */
export function lastTurn(events: SessionEvent[]): SessionEvent[] {
  const start = events.findLastIndex((e) => e.type === 'user.message');
  return start >= 0 ? events.slice(start) : events;
}

/** One line for the end of a chat answer or CLI run. */
export function formatUsage(u: UsageTotals): string {
  const k = (n: number) =>
    n >= 10_000 ? `${Math.round(n / 1000)}k` : n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
  const cost =
    u.cost_usd === null
      ? 'cost unknown'
      : `$${u.cost_usd < 0.01 ? u.cost_usd.toFixed(4) : u.cost_usd.toFixed(2)}`;
  const cache = u.cache_read_input_tokens > 0 ? `, ${k(u.cache_read_input_tokens)} cached` : '';
  return `${k(u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens)} in${cache}, ${k(u.output_tokens)} out · ${u.tool_calls} tool call${u.tool_calls === 1 ? '' : 's'} · ${cost}`;
}
