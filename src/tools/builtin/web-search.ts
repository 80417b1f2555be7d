/**
 * How `web_search` runs. Two ways, chosen by the operator (THREADHAND_WEB_SEARCH):
 * - `server`: Anthropic's server-side web search tool (`web_search_20250305`), for models that
 *   support it. The API runs the searches inside the model request; the harness only sends the
 *   tool definition and keeps the `server_tool_use` / `web_search_tool_result` blocks.
 * - `backend`: a search endpoint the harness calls (THREADHAND_WEB_SEARCH_URL), for any model.
 * Default: `backend` when a URL is set, else `server`. Neither applies: the tool answers with
 * an error that says how to configure one.
 */
import { z } from 'zod';
import type { PermissionPolicy, Tool } from '../types.js';
import type { WebSearchBackend, WebSearchResult } from './web.js';

/** Searches one model request may run on the server (the tool's `max_uses`). */
export const SERVER_WEB_SEARCH_MAX_USES = 5;

/** Anthropic's server tool definition, sent in place of a client tool named web_search. */
export interface ServerWebSearchDefinition {
  type: 'web_search_20250305';
  name: 'web_search';
  max_uses?: number;
}

/** A tool the model API runs itself: the harness sends `server` instead of a schema. */
export type ServerTool = Tool & { server: ServerWebSearchDefinition };

export function isServerTool(tool: Tool): tool is ServerTool {
  return 'server' in tool && typeof (tool as { server?: unknown }).server === 'object';
}

/**
 * Models that support the server tool: Claude models after the Claude 3 family (3.5 Haiku,
 * 3.5/3.7 Sonnet, 4.x). Other models (or gateways in front of them) use the backend.
 */
export function supportsServerWebSearch(model: string): boolean {
  return /^claude-/.test(model) && !/^claude-(instant|2|3-(haiku|sonnet|opus))/.test(model);
}

export function serverWebSearchTool(
  permission: PermissionPolicy,
  maxUses = SERVER_WEB_SEARCH_MAX_USES,
): ServerTool {
  return {
    name: 'web_search',
    description: "Anthropic's server-side web search.",
    input_schema: { type: 'object', properties: { query: { type: 'string' } }, required: ['query'] },
    kind: 'builtin',
    permission,
    server: { type: 'web_search_20250305', name: 'web_search', max_uses: maxUses },
  };
}

/** The web_search part of `BuiltinToolsetOptions`, as environment variables configure it. */
export interface WebSearchSettings {
  webSearch?: WebSearchBackend;
  serverWebSearch?: { maxUses: number };
}

export interface WebSearchEnv {
  THREADHAND_WEB_SEARCH?: string;
  THREADHAND_WEB_SEARCH_URL?: string;
  THREADHAND_WEB_SEARCH_KEY?: string;
}

/** Web search settings from the environment (already validated by `EnvSchema` at start-up). */
export function webSearchFromEnv(
  env: WebSearchEnv,
  options: { fetch?: typeof fetch; timeoutMs?: number } = {},
): WebSearchSettings {
  const url = env.THREADHAND_WEB_SEARCH_URL?.trim() || undefined;
  const mode = env.THREADHAND_WEB_SEARCH?.trim() || (url ? 'backend' : 'server');
  if (mode === 'off') return {};
  const backend = url
    ? createJsonSearchBackend({
        url,
        apiKey: env.THREADHAND_WEB_SEARCH_KEY?.trim() || undefined,
        fetch: options.fetch,
        timeoutMs: options.timeoutMs,
      })
    : undefined;
  // In server mode the backend still serves models without server-side search.
  return mode === 'server'
    ? { webSearch: backend, serverWebSearch: { maxUses: SERVER_WEB_SEARCH_MAX_USES } }
    : { webSearch: backend };
}

const JsonSearchResponse = z.object({
  results: z.array(
    z.looseObject({
      title: z.string().nullish(),
      url: z.string(),
      snippet: z.string().nullish(),
      /** SearXNG's name for the snippet. */
      content: z.string().nullish(),
      description: z.string().nullish(),
    }),
  ),
});

export interface JsonSearchBackendOptions {
  /** Endpoint; `q` and `count` are added to its query string (others, like `format=json`, kept). */
  url: string;
  /** Sent as `Authorization: Bearer`. */
  apiKey?: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * A generic JSON search endpoint: `GET <url>?q=<query>&count=<n>` answering
 * `{"results": [{"title", "url", "snippet"}]}` (SearXNG's `format=json` output also fits).
 * Failures throw an Error whose message is shown to the model.
 */
export function createJsonSearchBackend(options: JsonSearchBackendOptions): WebSearchBackend {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 20_000;
  return {
    name: new URL(options.url).host,
    async search(query, { signal, maxResults }): Promise<WebSearchResult[]> {
      const url = new URL(options.url);
      url.searchParams.set('q', query);
      url.searchParams.set('count', String(maxResults));
      const headers: Record<string, string> = { accept: 'application/json' };
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      let response: Response;
      try {
        response = await doFetch(url, {
          headers,
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        });
      } catch (error) {
        const reason =
          error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : '';
        throw new Error(`the search backend ${url.host} could not be reached (${reason})`);
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new Error(`the search backend ${url.host} answered HTTP ${response.status}`);
      }
      const parsed = JsonSearchResponse.safeParse(await response.json().catch(() => undefined));
      if (!parsed.success) {
        throw new Error(`the search backend ${url.host} did not answer with {"results": [{"title", "url"}]}`);
      }
      return parsed.data.results.slice(0, maxResults).map((r) => {
        const snippet = r.snippet ?? r.content ?? r.description ?? undefined;
        return { title: r.title || r.url, url: r.url, ...(snippet ? { snippet } : {}) };
      });
    },
  };
}
