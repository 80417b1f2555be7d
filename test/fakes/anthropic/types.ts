// Types of the fake Anthropic Messages API server (test/fakes/anthropic/server.ts).

export type FakeBlock =
  | { type: 'text'; text: string; citations?: FakeCitation[] }
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'tool_use'; name: string; input: unknown; id?: string }
  /** Anthropic's server-side web search: the call (input streams as input_json_delta)... */
  | { type: 'server_tool_use'; name: 'web_search'; input: unknown; id?: string }
  /** ...and its result (sent whole in content_block_start), tied by `tool_use_id`. */
  | { type: 'web_search_tool_result'; tool_use_id: string; content: FakeWebSearchResultContent };

export interface FakeWebSearchResult {
  type: 'web_search_result';
  url: string;
  title: string;
  encrypted_content: string;
  page_age: string | null;
}

export type FakeWebSearchResultContent =
  | FakeWebSearchResult[]
  | { type: 'web_search_tool_result_error'; error_code: string };

/** A text block's citation of a web search result (streamed as citations_delta). */
export interface FakeCitation {
  type: 'web_search_result_location';
  url: string;
  title: string | null;
  encrypted_index: string;
  cited_text: string;
}

export interface FakeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  /** Server tool counts, sent in `usage.server_tool_use` when given. */
  server_tool_use?: { web_search_requests: number };
}

/** An HTTP error answered instead of a message (Anthropic error JSON shape). */
export interface FakeError {
  status: number;
  /** Anthropic error type, e.g. `rate_limit_error`, `overloaded_error`, `api_error`. */
  type: string;
  message?: string;
  /** Seconds, sent as the `retry-after` header. */
  retryAfter?: number;
  /** Milliseconds, sent as the `retry-after-ms` header. */
  retryAfterMs?: number;
}

/** An `event: error` sent in the middle of a stream, after `afterBlocks` content blocks. */
export interface FakeMidStreamError {
  type: string;
  message?: string;
  /** How many content blocks are streamed before the error (default: all of them). */
  afterBlocks?: number;
}

export interface FakeTurn {
  content?: FakeBlock[];
  /** Default: `tool_use` when the content has a tool_use block, else `end_turn`. */
  stop_reason?: string;
  usage?: FakeUsage;
  /** Wait before answering at all (before the response headers). */
  delayMs?: number;
  /** Wait between deltas. */
  chunkDelayMs?: number;
  /** Wait after `message_start`, before the first content block. */
  firstTokenDelayMs?: number;
  /** Characters per text/thinking/input_json delta (default: the server's `chunkSize`). */
  chunkSize?: number;
  error?: FakeError;
  midStreamError?: FakeMidStreamError;
  /**
   * Stream the content blocks, then never finish (no message_delta / message_stop): the
   * response stays open until the client aborts or the server closes.
   */
  hang?: boolean;
}

export interface RecordedRequest {
  /** 0-based position among the /v1/messages requests. */
  index: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: parsed request body, shape is the Messages API params
  body: any;
  receivedAt: number;
  /** `performance.now()` when the body had been read (precise, same clock as completedAtMs). */
  receivedAtMs: number;
  /** `performance.now()` when the response was fully written. */
  completedAtMs?: number;
  /** The client went away before the response finished. */
  aborted: boolean;
  /** The server finished writing the response. */
  completed: boolean;
}

export type FakeScript =
  | FakeTurn[]
  | ((request: RecordedRequest, index: number) => FakeTurn | Promise<FakeTurn>);

export interface FakeAnthropicOptions {
  script?: FakeScript;
  /** Required credential; when unset any non-empty key is accepted. */
  apiKey?: string;
  port?: number;
  /** Default characters per delta (8). */
  chunkSize?: number;
}

export interface FakeAnthropic {
  /** Base URL for the SDK (`baseURL`) or `ANTHROPIC_BASE_URL`, without a trailing slash. */
  url: string;
  /** Every /v1/messages request, in arrival order (live array). */
  requests: RecordedRequest[];
  /** Replace the script; turn counting starts again at 0. */
  setScript(script: FakeScript): void;
  /** Resolves once at least `count` requests have arrived (rejects after `timeoutMs`). */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}
