/**
 * The Messages API client: one streaming request, with deltas reported as they arrive and
 * vendor errors translated into `ModelError` at this boundary. Retries live in the harness,
 * which must log each attempt as an event, so the SDK's own retries are off.
 */
import Anthropic from '@anthropic-ai/sdk';

export interface ModelToolDefinition {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  cache_control?: { type: 'ephemeral' };
}

/** A tool the API runs itself (Anthropic's web search), sent by its versioned type. */
export interface ModelServerToolDefinition {
  type: 'web_search_20250305';
  name: 'web_search';
  max_uses?: number;
  cache_control?: { type: 'ephemeral' };
}

/**
 * A block of a server tool call (`server_tool_use`, `web_search_tool_result`...), kept exactly
 * as the API sent it: the next request must send it back unchanged (encrypted content and all).
 */
export interface ModelServerBlock {
  type: 'server_tool_use' | 'web_search_tool_result';
  [field: string]: unknown;
}

export const SERVER_BLOCK_TYPES: ReadonlySet<string> = new Set(['server_tool_use', 'web_search_tool_result']);

export type ModelContentBlock =
  | {
      type: 'text';
      text: string;
      /** Sources of the text (web search results); sent back as received. */
      citations?: unknown[];
      cache_control?: { type: 'ephemeral' };
    }
  | ModelServerBlock
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | {
      type: 'tool_result';
      tool_use_id: string;
      content: unknown[];
      is_error?: boolean;
      cache_control?: { type: 'ephemeral' };
    }
  | { type: 'image' | 'document'; source: unknown; cache_control?: { type: 'ephemeral' } };

export interface ModelMessage {
  role: 'user' | 'assistant';
  content: ModelContentBlock[];
}

export interface ModelRequest {
  model: string;
  max_tokens: number;
  system?: { type: 'text'; text: string; cache_control?: { type: 'ephemeral' } }[];
  tools?: (ModelToolDefinition | ModelServerToolDefinition)[];
  messages: ModelMessage[];
  thinking?: { type: 'enabled'; budget_tokens: number };
}

export interface ModelUsageTotals {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  /** Searches the API ran for server-side web search (present when there were any). */
  server_tool_use?: { web_search_requests: number };
}

export interface ModelResponse {
  content: ModelContentBlock[];
  stop_reason: string | null;
  usage: ModelUsageTotals;
}

export interface StreamCallbacks {
  signal?: AbortSignal;
  /** Text as the model writes it; `blockIndex` is the content block's index. */
  onText?(text: string, blockIndex: number): void;
  onThinking?(text: string, blockIndex: number): void;
  /** First token of any kind (for time-to-first-token). */
  onFirstToken?(): void;
}

export type ModelErrorKind = 'rate_limited' | 'overloaded' | 'server' | 'connection' | 'aborted' | 'fatal';

export class ModelError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    /** Content streamed before the error (kept when the user interrupted). */
    readonly partial?: ModelContentBlock[],
  ) {
    super(message);
    this.name = 'ModelError';
  }
  get retryable(): boolean {
    return (
      this.kind === 'rate_limited' ||
      this.kind === 'overloaded' ||
      this.kind === 'server' ||
      this.kind === 'connection'
    );
  }
}

export interface ModelClient {
  stream(request: ModelRequest, callbacks?: StreamCallbacks): Promise<ModelResponse>;
}

export interface ModelClientOptions {
  apiKey?: string;
  authToken?: string;
  baseURL?: string;
  timeoutMs?: number;
}

export function createModelClient(options: ModelClientOptions): ModelClient {
  const client = new Anthropic({
    apiKey: options.apiKey ?? null,
    authToken: options.authToken ?? null,
    baseURL: options.baseURL ?? null,
    maxRetries: 0,
    timeout: options.timeoutMs ?? 10 * 60_000,
  });

  return {
    async stream(request, callbacks = {}) {
      const blocks: (ModelContentBlock & { partialJson?: string })[] = [];
      const usage: ModelUsageTotals = {
        input_tokens: 0,
        output_tokens: 0,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      };
      let stopReason: string | null = null;
      const countSearches = (u: { server_tool_use?: { web_search_requests?: number } | null } | null) => {
        const searches = u?.server_tool_use?.web_search_requests;
        if (typeof searches === 'number' && searches > 0)
          usage.server_tool_use = { web_search_requests: searches };
      };
      let firstToken = false;
      const markFirst = () => {
        if (!firstToken) {
          firstToken = true;
          callbacks.onFirstToken?.();
        }
      };
      try {
        // The SDK's param types are a superset of ours; ours are structurally compatible.
        const stream = await client.messages.create(
          { ...(request as unknown as Anthropic.MessageCreateParamsStreaming), stream: true },
          { signal: callbacks.signal },
        );
        for await (const event of stream) {
          switch (event.type) {
            case 'message_start': {
              const u = event.message.usage;
              usage.input_tokens = u.input_tokens ?? 0;
              usage.cache_read_input_tokens = u.cache_read_input_tokens ?? 0;
              usage.cache_creation_input_tokens = u.cache_creation_input_tokens ?? 0;
              usage.output_tokens = u.output_tokens ?? 0;
              countSearches(u);
              break;
            }
            case 'content_block_start': {
              const b = event.content_block;
              if (b.type === 'text') blocks[event.index] = { type: 'text', text: b.text ?? '' };
              else if (SERVER_BLOCK_TYPES.has(b.type)) {
                // Verbatim; a server_tool_use's input then streams as input_json_delta.
                const block = { ...b } as ModelServerBlock & { partialJson?: string };
                if (b.type === 'server_tool_use') block.partialJson = '';
                blocks[event.index] = block;
              } else if (b.type === 'thinking')
                blocks[event.index] = { type: 'thinking', thinking: '', signature: '' };
              else if (b.type === 'redacted_thinking')
                blocks[event.index] = { type: 'redacted_thinking', data: b.data };
              else if (b.type === 'tool_use')
                blocks[event.index] = {
                  type: 'tool_use',
                  id: b.id,
                  name: b.name,
                  input: {},
                  partialJson: '',
                };
              break;
            }
            case 'content_block_delta': {
              const block = blocks[event.index];
              const d = event.delta;
              if (!block) break;
              if (d.type === 'text_delta' && block.type === 'text') {
                markFirst();
                block.text += d.text;
                callbacks.onText?.(d.text, event.index);
              } else if (d.type === 'thinking_delta' && block.type === 'thinking') {
                markFirst();
                block.thinking += d.thinking;
                callbacks.onThinking?.(d.thinking, event.index);
              } else if (d.type === 'signature_delta' && block.type === 'thinking') {
                block.signature += d.signature;
              } else if (d.type === 'citations_delta' && block.type === 'text') {
                block.citations = [...(block.citations ?? []), d.citation];
              } else if (
                d.type === 'input_json_delta' &&
                (block.type === 'tool_use' || block.type === 'server_tool_use')
              ) {
                markFirst();
                block.partialJson = (block.partialJson ?? '') + d.partial_json;
              }
              break;
            }
            case 'content_block_stop': {
              const block = blocks[event.index];
              if (block?.type === 'tool_use') {
                block.input = parseToolInput(block.partialJson ?? '');
                delete block.partialJson;
              } else if (block?.type === 'server_tool_use' && block.partialJson !== undefined) {
                if (block.partialJson !== '') block.input = parseToolInput(String(block.partialJson));
                delete block.partialJson;
              }
              break;
            }
            case 'message_delta': {
              stopReason = event.delta.stop_reason ?? stopReason;
              if (event.usage?.output_tokens != null) usage.output_tokens = event.usage.output_tokens;
              countSearches(event.usage);
              break;
            }
            default:
              break;
          }
        }
      } catch (error) {
        throw translateError(error, blocks.filter(Boolean));
      }
      // An aborted stream can end quietly instead of throwing: it is still an abort, not an answer.
      if (callbacks.signal?.aborted && stopReason === null)
        throw new ModelError('aborted', 'aborted', undefined, undefined, blocks.filter(Boolean));
      return { content: blocks.filter(Boolean), stop_reason: stopReason, usage };
    },
  };
}

function parseToolInput(json: string): Record<string, unknown> {
  if (json.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(json);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const seconds = headers?.get('retry-after');
  if (seconds && Number.isFinite(Number(seconds))) return Number(seconds) * 1000;
  return undefined;
}

function translateError(error: unknown, partial: ModelContentBlock[]): ModelError {
  if (error instanceof ModelError) return error;
  if (error instanceof Anthropic.APIUserAbortError)
    return new ModelError('aborted', 'aborted', undefined, undefined, partial);
  if (error instanceof Anthropic.APIConnectionError) {
    return new ModelError('connection', `could not reach the model API: ${error.message}`);
  }
  if (error instanceof Anthropic.APIError) {
    const status = error.status;
    // Errors sent inside the SSE stream arrive with no status; the body names the type.
    const body = error.error as { error?: { type?: string; message?: string } } | undefined;
    const type = body?.error?.type;
    const message = body?.error?.message ?? error.message;
    const after = retryAfterMs(error.headers);
    if (status === 429 || type === 'rate_limit_error')
      return new ModelError('rate_limited', message, status, after);
    if (status === 529 || type === 'overloaded_error')
      return new ModelError('overloaded', message, status, after);
    if ((status !== undefined && status >= 500) || type === 'api_error') {
      return new ModelError('server', message, status, after);
    }
    return new ModelError('fatal', message, status);
  }
  if (error instanceof Error && error.name === 'AbortError') {
    return new ModelError('aborted', 'aborted', undefined, undefined, partial);
  }
  return new ModelError('fatal', error instanceof Error ? error.message : String(error));
}
