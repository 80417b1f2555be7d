/**
 * Budgets: per agent (YAML `budget:`) or per session (metadata `threadhand.budget.<limit>`),
 * on tokens, cost, tool calls and wall time. Checked before every model call; reaching one
 * ends the turn idle with `budget_reached`. Raising the session's limit and sending a
 * message continues the session.
 */
import type { AgentConfig } from '../config/schema.js';
import type { SessionEvent } from '../events/schema.js';
import type { BeforeModelCall, SessionContext } from '../harness/types.js';
import type { PriceTable } from './prices.js';
import { computeUsage } from './usage.js';

export interface BudgetLimits {
  max_tokens?: number;
  max_cost_usd?: number;
  max_tool_calls?: number;
  max_wall_seconds?: number;
}

const LIMITS = ['max_tokens', 'max_cost_usd', 'max_tool_calls', 'max_wall_seconds'] as const;
export const BUDGET_METADATA_PREFIX = 'threadhand.budget.';

/** The agent's limits, overridden by the session's metadata. */
export function budgetLimits(agent: AgentConfig, metadata: Record<string, string>): BudgetLimits {
  const limits: BudgetLimits = { ...(agent.budget ?? {}) };
  for (const name of LIMITS) {
    const raw = metadata[BUDGET_METADATA_PREFIX + name];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (raw === '' || raw === 'none') delete limits[name];
    else if (Number.isFinite(value) && value > 0) limits[name] = value;
  }
  return limits;
}

export function checkBudget(
  ctx: SessionContext,
  events: SessionEvent[],
  prices: PriceTable,
  now = Date.now(),
): BeforeModelCall {
  const limits = budgetLimits(ctx.agent, ctx.session.metadata);
  if (Object.keys(limits).length === 0) return { action: 'continue' };
  const model = typeof ctx.agent.model === 'string' ? ctx.agent.model : ctx.agent.model.id;
  const usage = computeUsage(events, model, prices);
  // The current run is still open: count its time so far.
  const open = events.findLast(
    (e) => e.type === 'session.status_running' || e.type === 'session.status_idle',
  );
  const wall =
    usage.active_seconds +
    (open?.type === 'session.status_running' ? (now - Date.parse(open.processed_at)) / 1000 : 0);
  const tokens =
    usage.input_tokens +
    usage.output_tokens +
    usage.cache_read_input_tokens +
    usage.cache_creation_input_tokens;
  const over = (name: (typeof LIMITS)[number], used: number, limit: number | undefined, unit: string) =>
    limit !== undefined && used >= limit
      ? `Budget reached: ${format(used)} of ${format(limit)} ${unit} used (${name}). To continue, raise the session's limit (metadata "${BUDGET_METADATA_PREFIX}${name}", or \`threadhand sessions budget ${ctx.session.id} --${name.replaceAll('_', '-')} N\`) and send a message.`
      : undefined;
  const message =
    over('max_tool_calls', usage.tool_calls, limits.max_tool_calls, 'tool calls') ??
    over('max_tokens', tokens, limits.max_tokens, 'tokens') ??
    (usage.cost_usd !== null
      ? over('max_cost_usd', usage.cost_usd, limits.max_cost_usd, 'USD')
      : undefined) ??
    over('max_wall_seconds', wall, limits.max_wall_seconds, 'seconds');
  return message ? { action: 'stop', stopReason: 'budget_reached', message } : { action: 'continue' };
}

function format(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
