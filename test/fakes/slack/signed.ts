/** Posting Slack HTTP requests signed the way Slack signs them (v0 HMAC-SHA256). */
import { createHmac } from 'node:crypto';

export interface SignedPostOptions {
  /** Unix seconds; default now. Use an old one to test the 5-minute window. */
  timestamp?: number;
  /** Sign with this secret instead (forgery tests). */
  secret?: string;
  retryNum?: number;
  /** `json` for Events API, `form` for slash commands and interactivity (`payload=`). */
  encoding?: 'json' | 'form';
}

export function signSlackBody(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export async function postSignedSlack(
  url: string,
  signingSecret: string,
  payload: Record<string, unknown>,
  options: SignedPostOptions = {},
): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const encoding = options.encoding ?? 'json';
  const body =
    encoding === 'json'
      ? JSON.stringify(payload)
      : new URLSearchParams(
          Object.entries(payload).map(([k, v]): [string, string] => [
            k,
            typeof v === 'string' ? v : JSON.stringify(v),
          ]),
        ).toString();
  const headers: Record<string, string> = {
    'content-type': encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackBody(options.secret ?? signingSecret, timestamp, body),
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  return fetch(url, { method: 'POST', headers, body });
}
