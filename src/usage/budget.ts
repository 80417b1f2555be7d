/**
 * Budgets: per agent (YAML `budget:`) or per session (metadata `threadhand.budget.<limit>`),
 * on tokens, cost, tool calls and wall time. Tokens and cost are checked before every model
 * call; tool calls before every tool runs (a response asking for more calls than are left
 * gets the rest refused), and wall time before and during every tool call and model call
 * (either is stopped when the time is up). Reaching one ends the turn idle with `budget_reached`. Raising the
 * session's limit and sending a message continues the session.
 */
import type { AgentConfig } from '../config/schema.js';
import type { SessionEvent } from '../events/schema.js';
import type { BeforeModelCall, BeforeToolCall, SessionContext } from '../harness/types.js';
import type { PriceTable } from './prices.js';
import { BUDGET_REFUSAL_PREFIX, computeUsage, countBudgetRefusals, countToolUses } from './usage.js';

export interface BudgetLimits {
  max_tokens?: number;
  max_cost_usd?: number;
  max_tool_calls?: number;
  max_wall_seconds?: number;
}

const LIMITS = ['max_tokens', 'max_cost_usd', 'max_tool_calls', 'max_wall_seconds'] as const;
type LimitName = (typeof LIMITS)[number];
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

const UNITS: Record<LimitName, string> = {
  max_tokens: 'tokens',
  max_cost_usd: 'USD',
  max_tool_calls: 'tool calls',
  max_wall_seconds: 'seconds',
};

/** What the user reads when a limit is reached, with how to continue. */
function reachedMessage(ctx: SessionContext, name: LimitName, used: number, limit: number): string {
  return `Budget reached: ${format(used)} of ${format(limit)} ${UNITS[name]} used (${name}). To continue, raise the session's limit (metadata "${BUDGET_METADATA_PREFIX}${name}", or \`threadhand sessions budget ${ctx.session.id} --${name.replaceAll('_', '-')} N\`) and send a message.`;
}

/** Seconds the session has run, counting the run still open at `now`. */
function wallSeconds(events: SessionEvent[], activeSeconds: number, now: number): number {
  const open = events.findLast(
    (e) => e.type === 'session.status_running' || e.type === 'session.status_idle',
  );
  return (
    activeSeconds +
    (open?.type === 'session.status_running' ? (now - Date.parse(open.processed_at)) / 1000 : 0)
  );
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
  const wall = wallSeconds(events, usage.active_seconds, now);
  const tokens =
    usage.input_tokens +
    usage.output_tokens +
    usage.cache_read_input_tokens +
    usage.cache_creation_input_tokens;
  const over = (name: LimitName, used: number) => {
    const limit = limits[name];
    return limit !== undefined && used >= limit ? reachedMessage(ctx, name, used, limit) : undefined;
  };
  const message =
    over('max_tool_calls', usage.tool_calls) ??
    over('max_tokens', tokens) ??
    (usage.cost_usd !== null ? over('max_cost_usd', usage.cost_usd) : undefined) ??
    over('max_wall_seconds', wall);
  if (message) return { action: 'stop', stopReason: 'budget_reached', message };
  const wallLimit = limits.max_wall_seconds;
  if (wallLimit === undefined) return { action: 'continue' };
  // A model call that is still streaming when the time is up is aborted.
  return {
    action: 'continue',
    stopAfter: {
      ms: Math.ceil((wallLimit - wall) * 1000),
      message: reachedMessage(ctx, 'max_wall_seconds', wallLimit, wallLimit),
    },
  };
}

/**
 * Before one tool call runs: refuses it when the tool-call or wall-time budget is used up,
 * else lets it run for at most the wall time left.
 */
export function checkToolBudget(
  ctx: SessionContext,
  events: SessionEvent[],
  toolUseId: string,
  now = Date.now(),
): BeforeToolCall {
  const limits = budgetLimits(ctx.agent, ctx.session.metadata);
  const stop = (name: LimitName, used: number, limit: number): BeforeToolCall => {
    const message = reachedMessage(ctx, name, used, limit);
    return {
      action: 'stop',
      stopReason: 'budget_reached',
      message,
      result: `${BUDGET_REFUSAL_PREFIX} ${message}`,
    };
  };
  if (limits.max_tool_calls !== undefined) {
    // Calls are settled in log order, so every refusal logged so far is of a call before this one.
    const at = events.findIndex((e) => e.id === toolUseId);
    const ran = countToolUses(at >= 0 ? events.slice(0, at) : events) - countBudgetRefusals(events);
    if (ran >= limits.max_tool_calls) return stop('max_tool_calls', ran, limits.max_tool_calls);
  }
  if (limits.max_wall_seconds !== undefined) {
    const limit = limits.max_wall_seconds;
    const wall = wallSeconds(events, computeUsage(events, '', {}).active_seconds, now);
    if (wall >= limit) return stop('max_wall_seconds', wall, limit);
    const message = reachedMessage(ctx, 'max_wall_seconds', limit, limit);
    return {
      action: 'continue',
      stopAfter: { ms: Math.ceil((limit - wall) * 1000), message, result: `Stopped: ${message}` },
    };
  }
  return { action: 'continue' };
}

function format(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
