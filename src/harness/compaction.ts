/**
 * Context compaction: when the last request's prompt nears the agent's threshold, older turns
 * are summarised by the model and replaced in the context by that summary
 * (`agent.thread_context_compacted`). The task (first message), the newest turns and any open
 * tool call stay verbatim. System and tools never change, so the cached prefix survives.
 */
import type { AgentConfig } from '../config/schema.js';
import type { SessionEvent } from '../events/schema.js';
import { buildMessages } from './context.js';
import type { ModelClient, ModelRequest, ModelUsageTotals } from './model/client.js';

export const SUMMARY_INSTRUCTION =
  'Summarise the conversation so far for your own future reference, because older turns will be removed from your context. Keep: the task and its constraints, decisions and their reasons, what was done (files changed, commands run, their key results), open problems and the next steps. Be concise and factual; do not call tools.';

/** Prompt size of the newest model request, in tokens (what the next one will at least be). */
export function contextTokens(events: SessionEvent[]): number {
  const end = events.findLast((e) => e.type === 'span.model_request_end' && !e.is_error);
  if (!end || end.type !== 'span.model_request_end') return 0;
  const u = end.model_usage;
  return u.input_tokens + u.cache_read_input_tokens + u.cache_creation_input_tokens + u.output_tokens;
}

/**
 * The id of the last event to fold into a summary, keeping the newest `keep` model turns
 * verbatim; undefined when there is not enough history to make compaction worth it. The cut
 * sits just before a `span.model_request_start`, so no tool call is split from its result.
 */
export function compactionCut(events: SessionEvent[], keep: number): string | undefined {
  const lastCompaction = events.findLast((e) => e.type === 'agent.thread_context_compacted');
  const from =
    lastCompaction?.type === 'agent.thread_context_compacted' ? (lastCompaction.compacted_through ?? '') : '';
  const starts = events.flatMap((e, i) => (e.type === 'span.model_request_start' && e.id > from ? [i] : []));
  if (starts.length <= keep + 1) return undefined;
  const cutIndex = starts[starts.length - keep]! - 1;
  return events[cutIndex]?.id;
}

export function shouldCompact(agent: AgentConfig, events: SessionEvent[]): boolean {
  const c = agent.compaction;
  if (!c || !c.enabled) return false;
  return contextTokens(events) >= c.threshold_tokens;
}

/** Asks the model for the summary of everything up to `cut` (same system and tools: cache hit). */
export async function summarise(
  model: ModelClient,
  base: ModelRequest,
  events: SessionEvent[],
  cut: string,
  signal: AbortSignal,
): Promise<{ summary: string; usage: ModelUsageTotals }> {
  const upTo = events.filter((e) => e.id <= cut);
  const messages = buildMessages(upTo);
  const last = messages[messages.length - 1];
  if (last?.role === 'user') last.content.push({ type: 'text', text: SUMMARY_INSTRUCTION });
  else messages.push({ role: 'user', content: [{ type: 'text', text: SUMMARY_INSTRUCTION }] });
  const response = await model.stream({ ...base, messages, thinking: undefined }, { signal });
  const summary = response.content
    .flatMap((b) => (b.type === 'text' ? [b.text] : []))
    .join('\n')
    .trim();
  return { summary, usage: response.usage };
}
