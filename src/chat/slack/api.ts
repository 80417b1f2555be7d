/**
 * The Slack Web API as the renderer and handlers use it: every call goes through the
 * per-channel scheduler (serial per channel, 429 `Retry-After` honoured and retried), and
 * vendor errors come back as `SlackApiError` with Slack's error string as `code`.
 */
import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Logger } from '../../logging.js';
import { type ChannelScheduler, createChannelScheduler } from '../core/scheduler.js';

export class SlackApiError extends Error {
  constructor(
    readonly code: string,
    readonly method: string,
  ) {
    super(`Slack ${method} failed: ${code}`);
    this.name = 'SlackApiError';
  }
}

export interface SlackApi {
  /** Calls `method` for `channel` (the scheduler key); resolves with Slack's answer. */
  call(channel: string, method: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
  readonly scheduler: ChannelScheduler;
  /** Calls made (including retried ones), for metrics and benchmarks. */
  readonly stats: { calls: number; rateLimited: number };
}

export interface SlackApiOptions {
  botToken: string;
  /** Web API base, e.g. `https://slack.com/api/` (SLACK_API_URL). */
  apiUrl?: string;
  logger: Logger;
  /** Spacing between calls in one channel. Default 0 (the renderer throttles itself). */
  minIntervalMs?: number;
}

function rateLimitDelay(error: unknown): number | undefined {
  // vendor edge: web-api errors are plain objects with `code` and, for 429s, `retryAfter`.
  const e = error as { code?: string; retryAfter?: number };
  if (e?.code === 'slack_webapi_rate_limited_error' && typeof e.retryAfter === 'number') {
    return Math.max(e.retryAfter, 0) * 1000;
  }
  return undefined;
}

export function webClientOptions(apiUrl: string | undefined): WebClientOptions {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` } : {}),
    // The scheduler retries rate-limited calls per channel; the client must not retry on its own.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  };
}

export function createSlackApi(options: SlackApiOptions): SlackApi {
  const client = new WebClient(options.botToken, webClientOptions(options.apiUrl));
  const stats = { calls: 0, rateLimited: 0 };
  const scheduler = createChannelScheduler({
    minIntervalMs: options.minIntervalMs ?? 0,
    maxRetries: 8,
    retryAfterMs: rateLimitDelay,
    onRateLimited: (channel, ms) => {
      stats.rateLimited += 1;
      options.logger.warn({ channel, retryAfterMs: ms }, 'slack rate limited; waiting as Retry-After asks');
    },
  });
  return {
    scheduler,
    stats,
    call(channel, method, args) {
      return scheduler.run(channel, async () => {
        stats.calls += 1;
        try {
          return (await client.apiCall(method, args)) as unknown as Record<string, unknown>;
        } catch (error) {
          // vendor edge: platform errors carry `data.error`.
          const e = error as { code?: string; data?: { error?: string } };
          if (e.code === 'slack_webapi_platform_error' && e.data?.error) {
            throw new SlackApiError(e.data.error, method);
          }
          throw error;
        }
      });
    },
  };
}
