/**
 * The platform-free view of a session that chat renderers draw. Built from the session log
 * (plus live deltas) by `createSessionView`; a renderer reconciles it with what it posted,
 * using the records in `records.ts`.
 */
import type { StopReason } from '../../events/schema.js';

/** Text the agent wrote between two "breaks" (a tool call or a user message) of one turn. */
export interface TextItem {
  kind: 'text';
  /**
   * Stable across restarts: `<turnId>:t<n>` where n counts the breaks before it in the
   * turn. Use it as the record key for the message(s) that show this text.
   */
  key: string;
  /** Everything known so far: finished messages joined by a blank line, plus live preview. */
  text: string;
  /** No more text will be added (a break or the end of the turn came). */
  final: boolean;
}

export type ToolStatus = 'running' | 'pending_approval' | 'done' | 'failed' | 'denied' | 'interrupted';

export interface ToolItem {
  kind: 'tool';
  /** The `agent.tool_use` (or mcp/custom tool use) event id; approvals bind to it. */
  key: string;
  toolUseId: string;
  name: string;
  input: Record<string, unknown>;
  /** The one line a person needs: the command, the path, the query, … */
  summary: string;
  status: ToolStatus;
  /** Tail of the output (streamed while running, final after the result). */
  output: string;
  exitCode?: number;
  /** Bumped on every change, so renderers can tell whether a card needs an update. */
  revision: number;
}

export type TurnItem = TextItem | ToolItem;

export interface UsageTotals {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  model_requests: number;
  /** Sandbox seconds recorded during the turn; null when the turn recorded no sandbox time. */
  sandbox_active_seconds: number | null;
}

/** What the agent is doing right now, for status lines ("thinking…", "running bash…"). */
export type Activity =
  | { kind: 'idle' }
  | { kind: 'thinking' }
  | { kind: 'writing' }
  | { kind: 'tool'; name: string; summary: string };

export interface TurnView {
  /** Id of the `session.status_running` event that opened the turn. */
  turnId: string;
  items: TurnItem[];
  state: 'running' | 'idle' | 'terminated';
  stopReason: StopReason | null;
  /** Id of the event that ended the turn (status_idle / terminated), when ended. */
  endEventId: string | null;
  usage: UsageTotals;
  /** Last `session.error` message seen in the turn. */
  error: string | null;
  /** Tool uses of this turn waiting for approval (requires_action). */
  pendingApprovals: ToolItem[];
}

export interface SessionViewState {
  turns: TurnView[];
  /** Every tool item seen, by tool use id (a result may land in a later turn). */
  tools: Map<string, ToolItem>;
  activity: Activity;
  /** Id of the newest durable event applied. */
  lastEventId: string | null;
  /** Number of durable events applied. */
  eventCount: number;
  /** The session was terminated or deleted: nothing more will happen. */
  ended: boolean;
}
