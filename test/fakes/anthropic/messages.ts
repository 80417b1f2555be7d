// Turn -> Messages API wire objects: the whole message (non-streaming) and the SSE events.
import type { FakeBlock, FakeCitation, FakeTurn, FakeWebSearchResultContent } from './types.js';

export interface WireUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  server_tool_use?: { web_search_requests: number };
}

export type WireBlock =
  | { type: 'text'; text: string; citations: FakeCitation[] | null }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'server_tool_use'; id: string; name: string; input: unknown; caller: { type: 'direct' } }
  | {
      type: 'web_search_tool_result';
      tool_use_id: string;
      content: FakeWebSearchResultContent;
      caller: { type: 'direct' };
    };

export function wireBlocks(turn: FakeTurn, messageSeq: number): WireBlock[] {
  return (turn.content ?? []).map((block, i): WireBlock => {
    switch (block.type) {
      case 'text':
        return { type: 'text', text: block.text, citations: block.citations ?? null };
      case 'server_tool_use':
        return {
          type: 'server_tool_use',
          id: block.id ?? `srvtoolu_fake_${String(messageSeq).padStart(4, '0')}_${i}`,
          name: block.name,
          input: block.input,
          caller: { type: 'direct' },
        };
      case 'web_search_tool_result':
        return {
          type: 'web_search_tool_result',
          tool_use_id: block.tool_use_id,
          content: block.content,
          caller: { type: 'direct' },
        };
      case 'thinking':
        return {
          type: 'thinking',
          thinking: block.thinking,
          signature: block.signature ?? `sig_fake_${messageSeq}_${i}`,
        };
      case 'tool_use':
        return {
          type: 'tool_use',
          id: block.id ?? `toolu_fake_${String(messageSeq).padStart(4, '0')}_${i}`,
          name: block.name,
          input: block.input,
        };
      default:
        throw new Error(`fake anthropic: unknown block type ${(block as { type: string }).type}`);
    }
  });
}

export function stopReason(turn: FakeTurn): string {
  if (turn.stop_reason) return turn.stop_reason;
  return (turn.content ?? []).some((b: FakeBlock) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
}

/** Rough token counts so usage looks plausible when the script gives none. */
export function wireUsage(turn: FakeTurn, requestBody: unknown, blocks: WireBlock[]): WireUsage {
  const outChars = blocks.reduce((n, b) => n + JSON.stringify(b).length, 0);
  return {
    input_tokens:
      turn.usage?.input_tokens ?? Math.max(1, Math.ceil(JSON.stringify(requestBody ?? {}).length / 4)),
    output_tokens: turn.usage?.output_tokens ?? Math.max(1, Math.ceil(outChars / 4)),
    cache_read_input_tokens: turn.usage?.cache_read_input_tokens ?? 0,
    cache_creation_input_tokens: turn.usage?.cache_creation_input_tokens ?? 0,
    ...(turn.usage?.server_tool_use ? { server_tool_use: turn.usage.server_tool_use } : {}),
  };
}

export function wholeMessage(id: string, model: string, blocks: WireBlock[], stop: string, usage: WireUsage) {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: blocks,
    stop_reason: stop,
    stop_sequence: null,
    usage: { ...usage, service_tier: 'standard' },
  };
}

export function chunk(text: string, size: number): string[] {
  if (text.length === 0) return [];
  const out: string[] = [];
  const step = Math.max(1, size);
  for (let i = 0; i < text.length; i += step) out.push(text.slice(i, i + step));
  return out;
}

export type SseEvent = { event: string; data: unknown };

/** The events of one content block: start, deltas (in chunks), stop. */
export function blockEvents(block: WireBlock, index: number, size: number): SseEvent[] {
  const events: SseEvent[] = [];
  const delta = (d: unknown) =>
    events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: d } });
  switch (block.type) {
    case 'text':
      events.push({
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index,
          content_block: { type: 'text', text: '', citations: block.citations ? [] : null },
        },
      });
      for (const citation of block.citations ?? []) delta({ type: 'citations_delta', citation });
      for (const piece of chunk(block.text, size)) delta({ type: 'text_delta', text: piece });
      break;
    case 'thinking':
      events.push({
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        },
      });
      for (const piece of chunk(block.thinking, size)) delta({ type: 'thinking_delta', thinking: piece });
      delta({ type: 'signature_delta', signature: block.signature });
      break;
    case 'tool_use':
      events.push({
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        },
      });
      for (const piece of chunk(JSON.stringify(block.input ?? {}), size)) {
        delta({ type: 'input_json_delta', partial_json: piece });
      }
      break;
    case 'server_tool_use':
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { ...block, input: {} } },
      });
      for (const piece of chunk(JSON.stringify(block.input ?? {}), size)) {
        delta({ type: 'input_json_delta', partial_json: piece });
      }
      break;
    case 'web_search_tool_result':
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: block },
      });
      break;
  }
  events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  return events;
}

export function errorBody(type: string, message: string) {
  return { type: 'error', error: { type, message } };
}
