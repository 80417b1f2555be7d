/**
 * `web_fetch` and `web_search` run harness-side (not in the sandbox) but obey the session
 * environment's network policy: under `limited`, only allowed hosts, checked again on every
 * redirect. Pages are capped in bytes, HTML becomes readable text.
 */
import { convert } from 'html-to-text';
import { z } from 'zod';
import type { EnvironmentConfig } from '../../config/schema.js';
import type { EgressDenial } from '../../credentials/proxy.js';
import { allowedHostsFor, isHostAllowed } from '../../credentials/proxy-hosts.js';
import { type ToolResult, textResult } from '../types.js';
import { type BuiltinToolSpec, clip } from './define.js';

export const WebFetchInput = z.object({
  url: z.string().min(1).describe('The http(s) URL to fetch.'),
});

export const WebSearchInput = z.object({
  query: z.string().min(1).describe('What to search the web for.'),
  max_results: z.number().int().min(1).max(20).optional().describe('How many results (default 5).'),
});

export interface WebSearchResult {
  title: string;
  url: string;
  snippet?: string;
}

/** A pluggable search provider (Brave, SearXNG, a test fake...). */
export interface WebSearchBackend {
  name: string;
  search(query: string, options: { signal: AbortSignal; maxResults: number }): Promise<WebSearchResult[]>;
}

export interface WebToolOptions {
  environment: EnvironmentConfig;
  fetch: typeof fetch;
  maxBytes: number;
  maxChars: number;
  timeoutMs: number;
  onEgressDenied?(denial: EgressDenial): void;
}

const MAX_REDIRECTS = 5;
const TEXT_TYPES =
  /^(text\/|application\/(json|xml|xhtml\+xml|javascript|ld\+json|rss\+xml|atom\+xml)|[^;]*\+json|[^;]*\+xml)/i;

async function readCapped(response: Response, maxBytes: number): Promise<{ bytes: Buffer; capped: boolean }> {
  if (!response.body) return { bytes: Buffer.alloc(0), capped: false };
  const reader = response.body.getReader();
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { bytes: Buffer.concat(chunks), capped: false };
    chunks.push(Buffer.from(value));
    total += value.length;
    if (total >= maxBytes) {
      await reader.cancel().catch(() => undefined);
      return { bytes: Buffer.concat(chunks).subarray(0, maxBytes), capped: true };
    }
  }
}

function decode(bytes: Buffer, contentType: string): string {
  const charset = /charset=([^;]+)/i.exec(contentType)?.[1]?.trim().replace(/"/g, '');
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(bytes);
  } catch {
    return new TextDecoder('utf-8').decode(bytes);
  }
}

export function webFetchTool(options: WebToolOptions): BuiltinToolSpec<typeof WebFetchInput> {
  const allowed = allowedHostsFor(options.environment.networking);
  return {
    name: 'web_fetch',
    description:
      'Fetch a web page or text resource over http(s) and return it as readable text (HTML converted to text). ' +
      `Large pages are cut at ${Math.round(options.maxChars / 1000)}k characters.` +
      (allowed ? ` This environment only allows these hosts: ${allowed.join(', ') || '(none)'}.` : ''),
    schema: WebFetchInput,
    async run(input, ctx): Promise<ToolResult> {
      let url: URL;
      try {
        url = new URL(input.url);
      } catch {
        return textResult(
          `"${input.url}" is not a valid URL; give an absolute http:// or https:// URL.`,
          true,
        );
      }
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(options.timeoutMs)]);
      for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
        if (url.protocol !== 'http:' && url.protocol !== 'https:') {
          return textResult(`Only http and https URLs can be fetched (got ${url.protocol}).`, true);
        }
        const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
        if (allowed && !isHostAllowed(allowed, url.hostname, port)) {
          const reason = `${url.hostname}:${port} is not in this environment's allowed_hosts (networking: limited).`;
          options.onEgressDenied?.({
            sessionId: ctx.sessionId,
            host: url.hostname,
            port,
            method: 'GET',
            reason,
          });
          return textResult(`web_fetch refused: ${reason}`, true);
        }
        let response: Response;
        try {
          response = await options.fetch(url, {
            redirect: 'manual',
            signal,
            headers: {
              'user-agent': 'Threadhand web_fetch',
              accept: 'text/html,text/plain,application/json,*/*;q=0.5',
            },
          });
        } catch (error) {
          if (ctx.signal.aborted) return textResult('web_fetch was interrupted.', true);
          const reason = signal.aborted
            ? `timed out after ${Math.round(options.timeoutMs / 1000)} s`
            : error instanceof Error
              ? error.cause instanceof Error
                ? error.cause.message
                : error.message
              : String(error);
          return textResult(`Could not fetch ${url.href}: ${reason}`, true);
        }
        const location = response.headers.get('location');
        if (response.status >= 300 && response.status < 400 && location) {
          await response.body?.cancel().catch(() => undefined);
          url = new URL(location, url);
          continue;
        }
        const contentType = response.headers.get('content-type') ?? 'text/plain';
        if (!TEXT_TYPES.test(contentType)) {
          await response.body?.cancel().catch(() => undefined);
          return textResult(
            `${url.href} returned ${contentType}, which is not text; download it with bash (curl) if you need it.`,
            true,
          );
        }
        const { bytes, capped } = await readCapped(response, options.maxBytes);
        const raw = decode(bytes, contentType);
        const text = /html/i.test(contentType)
          ? convert(raw, {
              wordwrap: false,
              selectors: [
                { selector: 'img', format: 'skip' },
                { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
              ],
            })
          : raw;
        const { text: body, clipped } = clip(text.trim(), options.maxChars);
        const header = `URL: ${url.href}\nStatus: ${response.status}\nContent-Type: ${contentType}\n\n`;
        const note = capped || clipped ? '\n[content truncated]' : '';
        return textResult(header + body + note, !response.ok);
      }
      return textResult(`Too many redirects (more than ${MAX_REDIRECTS}) fetching ${input.url}.`, true);
    },
  };
}

export function webSearchTool(backend: WebSearchBackend | undefined): BuiltinToolSpec<typeof WebSearchInput> {
  return {
    name: 'web_search',
    description: 'Search the web. Returns titles, URLs and snippets; use web_fetch to read a result.',
    schema: WebSearchInput,
    async run(input, ctx): Promise<ToolResult> {
      if (!backend) {
        return textResult(
          "web_search is not available: this Threadhand has no search backend configured (THREADHAND_WEB_SEARCH_URL), and Anthropic's server-side search is off or not supported by this model. Use web_fetch with a known URL instead, or ask the operator to configure a search backend.",
          true,
        );
      }
      let results: WebSearchResult[];
      try {
        results = await backend.search(input.query, {
          signal: ctx.signal,
          maxResults: input.max_results ?? 5,
        });
      } catch (error) {
        if (ctx.signal.aborted) return textResult('web_search was interrupted.', true);
        const reason = error instanceof Error ? error.message : String(error);
        return textResult(
          `web_search failed: ${reason}. Try again later, or use web_fetch with a known URL.`,
          true,
        );
      }
      if (results.length === 0) return textResult(`No results for "${input.query}".`);
      return textResult(
        results
          .map(
            (r, i) =>
              `${i + 1}. ${r.title}\n   ${r.url}${r.snippet ? `\n   ${r.snippet.replace(/\s+/g, ' ').trim()}` : ''}`,
          )
          .join('\n'),
      );
    },
  };
}
