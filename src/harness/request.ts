/**
 * What the harness sends the model and how it records the answer: the request for the next
 * call (tools, system and messages with their prompt-cache breakpoints) and the log events for
 * a response's content blocks. Both are pure: the same log and toolset give the same request.
 */
import type { NewEvent, SessionEvent } from '../events/schema.js';
import { isServerTool } from '../tools/builtin/web-search.js';
import type { Toolset } from '../tools/types.js';
import { buildMessages, withCacheBreakpoint } from './context.js';
import {
  type ModelContentBlock,
  type ModelRequest,
  type ModelResponse,
  type ModelUsageTotals,
  SERVER_BLOCK_TYPES,
} from './model/client.js';
import type { SessionContext } from './types.js';

/** Usage of a request that failed or was cut off before the model reported any. */
export const NO_USAGE: ModelUsageTotals = {
  input_tokens: 0,
  output_tokens: 0,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
};

/**
 * The next model request. Breakpoints on the last tool and the system prompt (the stable
 * prefix) and on the newest turn, so a long session's later calls read the prefix from cache.
 */
export function buildRequest(
  ctx: SessionContext,
  toolset: Toolset | undefined,
  events: SessionEvent[],
): ModelRequest {
  const { agent, environment } = ctx;
  // A server tool (Anthropic's web search) goes by its versioned type; the API runs it.
  const tools: NonNullable<ModelRequest['tools']> = (toolset?.list() ?? []).map((t) =>
    isServerTool(t)
      ? { ...t.server }
      : { name: t.name, description: t.description, input_schema: t.input_schema },
  );
  const last = tools[tools.length - 1];
  if (last) tools[tools.length - 1] = { ...last, cache_control: { type: 'ephemeral' } };
  const systemText = [
    agent.system ?? 'You are a helpful agent.',
    `Your workspace is /workspace (environment "${environment.name}", ${environment.provider} sandbox).`,
  ].join('\n\n');
  const request: ModelRequest = {
    model: typeof agent.model === 'string' ? agent.model : agent.model.id,
    max_tokens: agent.max_tokens,
    system: [{ type: 'text', text: systemText, cache_control: { type: 'ephemeral' } }],
    messages: withCacheBreakpoint(buildMessages(events)),
  };
  if (tools.length > 0) request.tools = tools;
  if (agent.thinking_budget_tokens) {
    request.thinking = { type: 'enabled', budget_tokens: agent.thinking_budget_tokens };
    request.max_tokens = Math.max(agent.max_tokens, agent.thinking_budget_tokens + 1024);
  }
  return request;
}

/**
 * The log events for a response: thinking, text, and each tool call typed by the tool it names
 * (custom, MCP or built-in), with the permission it was evaluated under.
 *
 * Server tool blocks (`server_tool_use`, `web_search_tool_result`) have no event of their own
 * in the Managed Agents format; they are kept verbatim in the content of the `agent.message`
 * of the text that follows them (or of their own when none follows), so clients that render
 * text blocks are unaffected and the next request replays them as the API requires. Text that
 * cites search results keeps its `citations`.
 */
export function toolEvents(response: ModelResponse, toolset: Toolset | undefined): NewEvent[] {
  const out: NewEvent[] = [];
  let serverBlocks: ModelContentBlock[] = [];
  const message = (content: ModelContentBlock[]): NewEvent => ({
    type: 'agent.message',
    // Threadhand extension: server blocks and citations ride along with the text blocks.
    content: content as Extract<NewEvent, { type: 'agent.message' }>['content'],
  });
  const flushServerBlocks = () => {
    if (serverBlocks.length > 0) out.push(message(serverBlocks));
    serverBlocks = [];
  };
  for (const block of response.content) {
    if (SERVER_BLOCK_TYPES.has(block.type)) {
      serverBlocks.push(block);
      continue;
    }
    if (block.type === 'text') {
      if (block.text !== '' || serverBlocks.length > 0) {
        const text: ModelContentBlock =
          block.citations && block.citations.length > 0
            ? { type: 'text', text: block.text, citations: block.citations }
            : { type: 'text', text: block.text };
        out.push(message([...serverBlocks, ...(block.text !== '' ? [text] : [])]));
        serverBlocks = [];
      }
      continue;
    }
    flushServerBlocks();
    if (block.type === 'thinking')
      out.push({ type: 'agent.thinking', thinking: block.thinking, signature: block.signature });
    else if (block.type === 'tool_use') {
      const tool = toolset?.get(block.name);
      if (tool?.kind === 'custom')
        out.push({ type: 'agent.custom_tool_use', name: block.name, input: block.input });
      else if (tool?.kind === 'mcp' && tool.mcpServerName) {
        out.push({
          type: 'agent.mcp_tool_use',
          name: block.name.slice(tool.mcpServerName.length + 2),
          mcp_server_name: tool.mcpServerName,
          input: block.input,
          evaluated_permission: tool.permission === 'always_ask' ? 'ask' : 'allow',
          evaluation: { type: tool.permission },
        });
      } else {
        const permission = tool?.permission ?? 'always_allow';
        out.push({
          type: 'agent.tool_use',
          name: block.name,
          input: block.input,
          evaluated_permission: permission === 'always_ask' ? 'ask' : 'allow',
          evaluation: { type: permission },
        });
      }
    }
  }
  flushServerBlocks();
  return out;
}
