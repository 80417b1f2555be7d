/**
 * Session events, field for field as the Managed Agents wire format
 * (`@anthropic-ai/sdk/resources/beta/sessions/events.d.ts`).
 *
 * Threadhand adds a few optional fields the wire format has no place for, each documented
 * where it is declared (e.g. the thinking text the harness must replay to the model). SDK
 * clients ignore fields they do not know, so these never break compatibility.
 */
import { z } from 'zod';

export const TextBlock = z.object({ type: z.literal('text'), text: z.string() });
export const ImageBlock = z.object({
  type: z.literal('image'),
  source: z.record(z.string(), z.unknown()),
});
export const DocumentBlock = z.object({
  type: z.literal('document'),
  source: z.record(z.string(), z.unknown()),
  title: z.string().nullish(),
  context: z.string().nullish(),
});
export const RedactedBlock = z.object({ type: z.literal('redacted') }).loose();
export const SearchResultBlock = z.object({
  type: z.literal('search_result'),
  source: z.string(),
  title: z.string(),
  content: z.array(TextBlock),
  citations: z.object({ enabled: z.boolean() }),
});

export const UserContentBlock = z.discriminatedUnion('type', [
  TextBlock,
  ImageBlock,
  DocumentBlock,
  RedactedBlock,
]);
export const ToolResultContentBlock = z.discriminatedUnion('type', [
  TextBlock,
  ImageBlock,
  DocumentBlock,
  SearchResultBlock,
]);
export type TextBlock = z.infer<typeof TextBlock>;
export type UserContentBlock = z.infer<typeof UserContentBlock>;
export type ToolResultContentBlock = z.infer<typeof ToolResultContentBlock>;

// ---- Events a client sends (EventSendParams.events[]) ----

export const UserMessageParams = z.object({
  type: z.literal('user.message'),
  content: z.array(UserContentBlock).min(1, 'a message needs at least one content block'),
});
export const UserInterruptParams = z.object({
  type: z.literal('user.interrupt'),
  session_thread_id: z.string().nullish(),
});
export const UserToolConfirmationParams = z.object({
  type: z.literal('user.tool_confirmation'),
  tool_use_id: z.string(),
  result: z.enum(['allow', 'deny']),
  deny_message: z.string().nullish(),
});
export const UserCustomToolResultParams = z.object({
  type: z.literal('user.custom_tool_result'),
  custom_tool_use_id: z.string(),
  content: z.array(ToolResultContentBlock).optional(),
  is_error: z.boolean().nullish(),
});
export const UserEventParams = z.discriminatedUnion('type', [
  UserMessageParams,
  UserInterruptParams,
  UserToolConfirmationParams,
  UserCustomToolResultParams,
]);
export type UserEventParams = z.infer<typeof UserEventParams>;

/**
 * Who sent a user event from a chat front door. Threadhand extension: the wire format has no
 * author; chat front doors need it to decide who may approve or stop.
 */
export const EventAuthor = z.object({
  platform: z.enum(['slack', 'discord', 'web', 'api', 'cli']),
  user_id: z.string(),
  display_name: z.string().optional(),
  trusted: z.boolean().optional(),
});
export type EventAuthor = z.infer<typeof EventAuthor>;

// ---- Errors and stop reasons ----

export const RetryStatus = z.object({ type: z.enum(['retrying', 'exhausted', 'terminal']) });
export const SessionErrorObject = z
  .object({
    type: z.enum([
      'unknown_error',
      'model_overloaded_error',
      'model_rate_limited_error',
      'model_request_failed_error',
      'mcp_connection_failed_error',
      'mcp_authentication_failed_error',
      'billing_error',
      'credential_host_unreachable_error',
      'tool_use_limit_reached_error',
      'compaction_limit_reached_error',
    ]),
    message: z.string(),
    retry_status: RetryStatus,
    mcp_server_name: z.string().optional(),
    credential_id: z.string().optional(),
    vault_id: z.string().optional(),
  })
  .loose();
export type SessionErrorObject = z.infer<typeof SessionErrorObject>;

export const StopReason = z.discriminatedUnion('type', [
  z.object({ type: z.literal('end_turn') }),
  z.object({ type: z.literal('requires_action'), event_ids: z.array(z.string()) }),
  z.object({ type: z.literal('retries_exhausted') }),
  z.object({ type: z.literal('budget_reached') }),
  z.object({ type: z.literal('refusal') }),
]);
export type StopReason = z.infer<typeof StopReason>;

export const ModelUsage = z.object({
  input_tokens: z.number(),
  output_tokens: z.number(),
  cache_read_input_tokens: z.number(),
  cache_creation_input_tokens: z.number(),
  speed: z.enum(['standard', 'fast']).nullish(),
});
export type ModelUsage = z.infer<typeof ModelUsage>;

const Permission = z.enum(['allow', 'ask', 'deny']);
const Evaluation = z.object({ type: z.enum(['always_allow', 'always_ask']) });

// ---- Stored events: what the log holds (id and processed_at are set by the store) ----

const base = { id: z.string(), processed_at: z.string() };

export const SessionEvent = z.discriminatedUnion('type', [
  z.object({
    ...base,
    ...UserMessageParams.shape,
    /** Threadhand extension: who sent it from chat. */
    author: EventAuthor.optional(),
  }),
  z.object({ ...base, ...UserInterruptParams.shape, author: EventAuthor.optional() }),
  z.object({ ...base, ...UserToolConfirmationParams.shape, author: EventAuthor.optional() }),
  z.object({ ...base, ...UserCustomToolResultParams.shape }),
  z.object({
    ...base,
    type: z.literal('agent.message'),
    content: z.array(z.union([TextBlock, RedactedBlock])),
  }),
  z.object({
    ...base,
    type: z.literal('agent.thinking'),
    /** Threadhand extension: the thinking text and signature, replayed to the model. */
    thinking: z.string().optional(),
    signature: z.string().optional(),
  }),
  z.object({
    ...base,
    type: z.literal('agent.tool_use'),
    name: z.string(),
    input: z.record(z.string(), z.unknown()),
    evaluated_permission: Permission.optional(),
    evaluation: Evaluation.optional(),
  }),
  z.object({
    ...base,
    type: z.literal('agent.tool_result'),
    tool_use_id: z.string(),
    content: z.array(ToolResultContentBlock).optional(),
    is_error: z.boolean().nullish(),
  }),
  z.object({
    ...base,
    type: z.literal('agent.custom_tool_use'),
    name: z.string(),
    input: z.record(z.string(), z.unknown()),
  }),
  z.object({
    ...base,
    type: z.literal('agent.mcp_tool_use'),
    name: z.string(),
    mcp_server_name: z.string(),
    input: z.record(z.string(), z.unknown()),
    evaluated_permission: Permission.optional(),
    evaluation: Evaluation.optional(),
  }),
  z.object({
    ...base,
    type: z.literal('agent.mcp_tool_result'),
    mcp_tool_use_id: z.string(),
    content: z.array(ToolResultContentBlock).optional(),
    is_error: z.boolean().nullish(),
  }),
  z.object({
    ...base,
    type: z.literal('agent.thread_context_compacted'),
    /** Threadhand extension: the summary that replaces everything up to `compacted_through`. */
    summary: z.string().optional(),
    compacted_through: z.string().optional(),
  }),
  z.object({ ...base, type: z.literal('session.error'), error: SessionErrorObject }),
  z.object({ ...base, type: z.literal('session.status_running') }),
  z.object({ ...base, type: z.literal('session.status_rescheduled') }),
  z.object({
    ...base,
    type: z.literal('session.status_idle'),
    stop_reason: StopReason,
    stop_details: z.unknown().nullable(),
  }),
  z.object({ ...base, type: z.literal('session.status_terminated') }),
  z.object({ ...base, type: z.literal('session.deleted') }),
  z.object({ ...base, type: z.literal('span.model_request_start') }),
  z.object({
    ...base,
    type: z.literal('span.model_request_end'),
    model_request_start_id: z.string(),
    is_error: z.boolean().nullable(),
    model_usage: ModelUsage,
  }),
  /**
   * Threadhand extension: a sandbox lifecycle step (provision, resume, pause, destroy,
   * recreate) as a span, with the provider's sandbox id so any replica can reconnect.
   */
  z.object({
    ...base,
    type: z.literal('span.sandbox_operation'),
    operation: z.enum(['provision', 'reconnect', 'resume', 'pause', 'destroy', 'recreate']),
    provider: z.string(),
    sandbox_id: z.string().optional(),
    duration_ms: z.number(),
    is_error: z.boolean(),
    message: z.string().optional(),
    /** For pause/destroy: seconds the sandbox ran since it last started (cost reports). */
    active_seconds: z.number().optional(),
  }),
  /** Threadhand extension: the egress proxy refused a request from the sandbox. */
  z.object({
    ...base,
    type: z.literal('session.egress_denied'),
    host: z.string(),
    reason: z.string(),
  }),
  z.object({
    ...base,
    type: z.literal('system.message'),
    content: z.array(TextBlock),
  }),
]);
export type SessionEvent = z.infer<typeof SessionEvent>;
export type SessionEventType = SessionEvent['type'];
export type EventOf<T extends SessionEventType> = Extract<SessionEvent, { type: T }>;

/** An event before the store has given it an id and a time. */
export type NewEvent = SessionEvent extends infer E
  ? E extends SessionEvent
    ? Omit<E, 'id' | 'processed_at'>
    : never
  : never;

/**
 * Live-only stream items, never stored: the wire format's `event_start` / `event_delta`
 * (text as the model writes it). Threadhand also uses `event_delta` keyed by an
 * `agent.tool_use` id for tool output as it streams.
 */
export type StreamDelta =
  | { type: 'event_start'; event: { id: string; type: 'agent.message' | 'agent.thinking' } }
  | {
      type: 'event_delta';
      event_id: string;
      delta: { type: 'content_delta'; content: TextBlock; index?: number };
    };

export const USER_EVENT_TYPES = new Set<SessionEventType>([
  'user.message',
  'user.interrupt',
  'user.tool_confirmation',
  'user.custom_tool_result',
]);
