/** Discord's validation of message bodies and its rate-limit answer, for the fake REST API. */

export type Json = Record<string, unknown>;
export type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

export interface RateLimitRule {
  method?: string;
  path?: RegExp;
  /** Seconds, as Discord sends them. */
  retryAfter: number;
  global?: boolean;
  times: number;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });
export const noContent: Reply = { status: 204 };
export const notFound = (what: string, code: number): Reply => ({
  status: 404,
  body: { message: `Unknown ${what}`, code },
});

export function formError(errors: Json): Reply {
  return { status: 400, body: { message: 'Invalid Form Body', code: 50035, errors } };
}

/** Discord's checks on a message body: content length and embed sizes. */
export function validateMessage(body: Json): Reply | null {
  const content = body.content;
  if (typeof content === 'string' && content.length > 2000) {
    return formError({
      content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }] },
    });
  }
  const embeds = Array.isArray(body.embeds) ? (body.embeds as Json[]) : [];
  if (embeds.length > 10) return formError({ embeds: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } });
  let total = 0;
  for (const [i, e] of embeds.entries()) {
    const title = typeof e.title === 'string' ? e.title : '';
    const description = typeof e.description === 'string' ? e.description : '';
    if (title.length > 256 || description.length > 4096) {
      return formError({ embeds: { [i]: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } });
    }
    total += title.length + description.length;
    for (const f of Array.isArray(e.fields) ? (e.fields as Json[]) : []) {
      const name = String(f.name ?? '');
      const value = String(f.value ?? '');
      if (name.length > 256 || value.length > 1024) {
        return formError({ embeds: { [i]: { fields: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } } });
      }
      total += name.length + value.length;
    }
  }
  if (total > 6000) return formError({ embeds: { _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED' }] } });
  return null;
}

/** Discord's 429: `Retry-After` (seconds), the X-RateLimit-* headers and the JSON body. */
export function rateLimitReply(rule: RateLimitRule): Reply {
  const headers: Record<string, string> = {
    'retry-after': String(rule.retryAfter),
    'x-ratelimit-limit': '5',
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': String(Date.now() / 1000 + rule.retryAfter),
    'x-ratelimit-reset-after': String(rule.retryAfter),
    'x-ratelimit-bucket': 'fakebucket',
    'x-ratelimit-scope': rule.global ? 'global' : 'user',
  };
  if (rule.global) headers['x-ratelimit-global'] = 'true';
  return {
    status: 429,
    headers,
    body: {
      message: 'You are being rate limited.',
      retry_after: rule.retryAfter,
      global: rule.global ?? false,
    },
  };
}
