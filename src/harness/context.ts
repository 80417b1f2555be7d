/**
 * Rebuilds the model's message list from the session log. The log is the only state: the
 * same events always give the same messages, so any harness replica can resume a session.
 */
import type { SessionEvent, ToolResultContentBlock } from '../events/schema.js';
import {
  type ModelContentBlock,
  type ModelMessage,
  type ModelServerBlock,
  SERVER_BLOCK_TYPES,
} from './model/client.js';

/** Model-facing name of an MCP tool: `<server>__<tool>`. */
export function mcpToolName(server: string, tool: string): string {
  return `${server}__${tool}`;
}

export interface BuildContextOptions {
  /** Tool results longer than this (characters) are clipped in the context, not in the log. */
  maxToolResultChars?: number;
}

/** The newest `agent.thread_context_compacted` with a summary, if any. */
function compactionPoint(
  events: SessionEvent[],
): { index: number; summary: string; through: string } | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e?.type === 'agent.thread_context_compacted' && e.summary && e.compacted_through) {
      return { index: i, summary: e.summary, through: e.compacted_through };
    }
  }
  return undefined;
}

export function buildMessages(events: SessionEvent[], options: BuildContextOptions = {}): ModelMessage[] {
  const messages: ModelMessage[] = [];
  const clip = options.maxToolResultChars ?? 100_000;

  const push = (role: 'user' | 'assistant', block: ModelContentBlock) => {
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(block);
    else messages.push({ role, content: [block] });
  };

  let start = 0;
  const compacted = compactionPoint(events);
  let skipThrough: string | undefined;
  if (compacted) {
    // The task stays verbatim: the first message, then the summary of what followed.
    const task = events.find((e) => e.type === 'user.message' && e.id <= compacted.through);
    if (task?.type === 'user.message') {
      for (const block of task.content)
        if (block.type === 'text') push('user', { type: 'text', text: block.text });
    }
    push('user', {
      type: 'text',
      text: `<summary of the conversation since, written by you before older turns were removed>\n${compacted.summary}\n</summary>`,
    });
    skipThrough = compacted.through;
    start = 0;
  }

  for (let i = start; i < events.length; i++) {
    const e = events[i]!;
    // Events up to and including the compaction point are represented by the summary.
    if (skipThrough !== undefined && e.id <= skipThrough) continue;
    switch (e.type) {
      case 'user.message':
        for (const block of e.content) {
          if (block.type === 'text') push('user', { type: 'text', text: block.text });
          else if (block.type === 'image' || block.type === 'document') {
            push('user', { type: block.type, source: block.source });
          }
        }
        break;
      case 'agent.thinking':
        if (e.thinking !== undefined && e.signature) {
          push('assistant', { type: 'thinking', thinking: e.thinking, signature: e.signature });
        }
        break;
      case 'agent.message':
        for (const block of e.content as unknown[]) {
          const replayed = assistantBlock(block);
          if (replayed) push('assistant', replayed);
        }
        break;
      case 'agent.tool_use':
      case 'agent.custom_tool_use':
        push('assistant', { type: 'tool_use', id: e.id, name: e.name, input: e.input });
        break;
      case 'agent.mcp_tool_use':
        push('assistant', {
          type: 'tool_use',
          id: e.id,
          name: mcpToolName(e.mcp_server_name, e.name),
          input: e.input,
        });
        break;
      case 'agent.tool_result':
        push('user', toolResult(e.tool_use_id, e.content, e.is_error, clip));
        break;
      case 'agent.mcp_tool_result':
        push('user', toolResult(e.mcp_tool_use_id, e.content, e.is_error, clip));
        break;
      case 'user.custom_tool_result':
        push('user', toolResult(e.custom_tool_use_id, e.content, e.is_error, clip));
        break;
      default:
        break;
    }
  }

  // The API wants tool results first in a user turn (steering text may have arrived
  // between a tool call and its result).
  for (const m of messages) {
    if (m.role === 'user' && m.content.some((b) => b.type === 'tool_result')) {
      m.content.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'));
    }
  }
  return messages;
}

/**
 * An `agent.message` content block as the model wrote it: text (with its citations, if any),
 * or a server tool block (web search) sent back verbatim, as the API requires.
 */
function assistantBlock(block: unknown): ModelContentBlock | undefined {
  if (!block || typeof block !== 'object') return undefined;
  const b = block as { type?: unknown; text?: unknown; citations?: unknown };
  if (b.type === 'text' && typeof b.text === 'string' && b.text !== '') {
    return Array.isArray(b.citations) && b.citations.length > 0
      ? { type: 'text', text: b.text, citations: b.citations }
      : { type: 'text', text: b.text };
  }
  if (typeof b.type === 'string' && SERVER_BLOCK_TYPES.has(b.type)) return { ...(block as ModelServerBlock) };
  return undefined;
}

function toolResult(
  toolUseId: string,
  content: ToolResultContentBlock[] | undefined,
  isError: boolean | null | undefined,
  clip: number,
): ModelContentBlock {
  const blocks = (content ?? []).map((b) => {
    if (b.type === 'text' && b.text.length > clip) {
      const omitted = b.text.length - clip;
      return {
        type: 'text',
        text: `${b.text.slice(0, clip)}\n[... ${omitted} characters clipped from the context; the full output is in the session log]`,
      };
    }
    return b;
  });
  return {
    type: 'tool_result',
    tool_use_id: toolUseId,
    content: blocks.length > 0 ? blocks : [{ type: 'text', text: '(no output)' }],
    ...(isError ? { is_error: true } : {}),
  };
}

/** Puts prompt-cache breakpoints on the newest turn so the next call reads the prefix from cache. */
export function withCacheBreakpoint(messages: ModelMessage[]): ModelMessage[] {
  const last = messages[messages.length - 1];
  if (!last) return messages;
  const copy = messages.slice(0, -1);
  const content = last.content.map((b, i) => {
    if (i !== last.content.length - 1) return b;
    if (b.type === 'text' || b.type === 'tool_result' || b.type === 'image' || b.type === 'document') {
      return { ...b, cache_control: { type: 'ephemeral' as const } };
    }
    return b;
  });
  copy.push({ role: last.role, content });
  return copy;
}
