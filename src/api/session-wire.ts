/** Sessions in the wire format: the agent snapshot, usage totals and stats derived from the log. */
import { modelId } from '../config/schema.js';
import type { SessionEvent } from '../events/schema.js';
import type { AgentRecord } from '../runtime/types.js';
import type { SessionRecord } from '../store/types.js';
import { type BudgetLimits, budgetLimits } from '../usage/budget.js';
import { costUsd, emptySandboxTime, foldSandboxTime, type SandboxTime } from '../usage/usage.js';
import { agentDefinitionToWire } from './agent-wire.js';
import type { ApiDeps } from './context.js';
import { AGENT_KIND, agentRecordOf, type StoredApiAgent } from './records.js';
import { resourceToWire } from './resource-wire.js';

interface Totals {
  lastEventId: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  activeMs: number;
  runningSince: number | null;
  endedAt: number | null;
  sandbox: SandboxTime;
}

const emptyTotals = (): Totals => ({
  lastEventId: null,
  input_tokens: 0,
  output_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
  activeMs: 0,
  runningSince: null,
  endedAt: null,
  sandbox: emptySandboxTime(),
});

function fold(totals: Totals, event: SessionEvent): void {
  const at = Date.parse(event.processed_at);
  switch (event.type) {
    case 'span.model_request_end':
      totals.input_tokens += event.model_usage.input_tokens;
      totals.output_tokens += event.model_usage.output_tokens;
      totals.cache_read_input_tokens += event.model_usage.cache_read_input_tokens;
      totals.cache_creation_input_tokens += event.model_usage.cache_creation_input_tokens;
      break;
    case 'session.status_running':
      totals.runningSince ??= at;
      break;
    case 'session.status_idle':
    case 'session.status_rescheduled':
    case 'session.status_terminated':
      if (totals.runningSince !== null) totals.activeMs += Math.max(0, at - totals.runningSince);
      totals.runningSince = null;
      if (event.type === 'session.status_terminated') totals.endedAt = at;
      break;
  }
  foldSandboxTime(totals.sandbox, event);
  totals.lastEventId = event.id;
}

/** The wire `budget` holds only a cost ceiling (in cents); the other limits are Threadhand's. */
function budgetToWire(limits: BudgetLimits): Record<string, unknown> | null {
  if (limits.max_cost_usd === undefined) return null;
  return {
    type: 'limit',
    max_list_cost: { amount: String(Math.round(limits.max_cost_usd * 100)), currency: 'USD' },
  };
}

export interface SessionView {
  toWire(session: SessionRecord): Promise<Record<string, unknown>>;
  forget(sessionId: string): void;
}

/** Keeps per-session running totals so each retrieve reads only the events appended since. */
export function createSessionView(deps: ApiDeps): SessionView {
  const cache = new Map<string, Totals>();

  async function totalsFor(session: SessionRecord): Promise<Totals> {
    const totals = cache.get(session.id) ?? emptyTotals();
    if (totals.lastEventId !== session.last_event_id) {
      const events = await deps.stores.log.read(
        session.id,
        totals.lastEventId ? { after: totals.lastEventId } : {},
      );
      for (const event of events) fold(totals, event);
      cache.set(session.id, totals);
    }
    return totals;
  }

  async function agentFor(
    session: SessionRecord,
  ): Promise<{ record: AgentRecord; name: string } | undefined> {
    const stored = await deps.stores.resources.get<StoredApiAgent>(AGENT_KIND, session.agent_id);
    if (stored) {
      const record = agentRecordOf(stored, session.agent_version);
      return record ? { record, name: stored.display_name } : undefined;
    }
    const record = await deps.catalog.getAgent(session.agent_id, session.agent_version);
    return record ? { record, name: record.config.name } : undefined;
  }

  return {
    async toWire(session) {
      const totals = await totalsFor(session);
      const agent = await agentFor(session);
      const now = Date.now();
      const activeMs =
        totals.activeMs + (totals.runningSince !== null ? Math.max(0, now - totals.runningSince) : 0);
      const end = totals.endedAt ?? now;
      const usd = agent ? costUsd(totals, modelId(agent.record.config), deps.prices) : undefined;
      const limits = agent ? budgetLimits(agent.record.config, session.metadata) : {};
      return {
        type: 'session',
        id: session.id,
        agent: agent
          ? agentDefinitionToWire(agent.record, agent.name)
          : { type: 'agent', id: session.agent_id, version: session.agent_version, name: session.agent_id },
        environment_id: session.environment_id,
        status: session.status,
        title: session.title,
        metadata: session.metadata,
        vault_ids: session.vault_ids,
        resources: (await deps.sessionResources.list(session.id)).map(resourceToWire),
        outcome_evaluations: [],
        budget: budgetToWire(limits),
        usage: {
          input_tokens: totals.input_tokens,
          output_tokens: totals.output_tokens,
          cache_read_input_tokens: totals.cache_read_input_tokens,
          cache_creation: { ephemeral_5m_input_tokens: totals.cache_creation_input_tokens },
          list_cost: usd === undefined ? null : { amount: String(Math.round(usd * 100)), currency: 'USD' },
        },
        stats: {
          active_seconds: Math.round(activeMs / 100) / 10,
          duration_seconds: Math.max(0, Math.round((end - Date.parse(session.created_at)) / 100) / 10),
        },
        created_at: session.created_at,
        updated_at: session.updated_at,
        archived_at: session.archived_at,
        // Threadhand extension: why the session is idle (the wire format keeps it on the idle event).
        threadhand: {
          // Exact cost in USD (list_cost is whole cents, per the wire format).
          cost_usd: usd ?? null,
          // Every effective limit (agent's, overridden by session metadata); null when none.
          budget: Object.keys(limits).length > 0 ? limits : null,
          // Seconds the session's sandboxes ran, as reported by their provider (E2B); null when a
          // sandbox ran whose provider reports none (local). stats.active_seconds is the session's.
          sandbox_active_seconds: totals.sandbox.active_seconds,
          sandbox_running: totals.sandbox.running,
          stop_reason: session.stop_reason,
          event_count: session.event_count,
          last_event_id: session.last_event_id,
        },
      };
    },
    forget(sessionId) {
      cache.delete(sessionId);
    },
  };
}
