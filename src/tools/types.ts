import type { ToolResultContentBlock } from '../events/schema.js';
import type { Sandbox } from '../sandbox/types.js';

export type PermissionPolicy = 'always_allow' | 'always_ask';

/** What a tool run produced. Expected failures are results with `is_error`, not throws. */
export interface ToolResult {
  content: ToolResultContentBlock[];
  is_error?: boolean;
}

export interface ToolContext {
  sessionId: string;
  /** The `agent.tool_use` event id this run answers. */
  toolUseId: string;
  /** Aborted on user interrupt or shutdown; tools must stop promptly (well under 1 s). */
  signal: AbortSignal;
  /** Streams output as it happens (shown live by front doors, not stored). */
  onProgress(text: string): void;
  /** The session's sandbox, provisioned on first call (lazily) and reused after. */
  sandbox(): Promise<Sandbox>;
}

/**
 * Contract: a tool the model can call. `kind` decides who runs it:
 * - `builtin`/`mcp`/`test`: the harness calls `run` (after approval when `always_ask`);
 * - `custom`: the client runs it; the harness emits `agent.custom_tool_use` and waits.
 * `run` never throws for expected failures; it returns an `is_error` result. A throw is
 * treated as an unexpected failure and reported to the model as an error result.
 */
export interface Tool {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  kind: 'builtin' | 'custom' | 'mcp' | 'test';
  permission: PermissionPolicy;
  /** For MCP tools: the server's name (shown in `agent.mcp_tool_use`). */
  mcpServerName?: string;
  run?(input: Record<string, unknown>, ctx: ToolContext): Promise<ToolResult>;
}

/** The tools offered in one session, built per wake from the agent's config. */
export interface Toolset {
  list(): Tool[];
  get(name: string): Tool | undefined;
  /** Releases per-session resources (MCP connections...). */
  close?(): Promise<void>;
  /** Problems met while building the toolset (an MCP server down); logged as `session.error`. */
  errors?: import('../events/schema.js').SessionErrorObject[];
}

export function textResult(text: string, isError = false): ToolResult {
  return isError
    ? { content: [{ type: 'text', text }], is_error: true }
    : { content: [{ type: 'text', text }] };
}
