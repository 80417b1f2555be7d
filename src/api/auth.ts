import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from './errors.js';

/** Parses `THREADHAND_API_KEYS` (comma-separated; blanks ignored). */
export function parseApiKeys(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Requires one of `apiKeys` as `x-api-key` or `Authorization: Bearer`. With no keys configured
 * every request passes: the server then refuses to bind anything but loopback.
 */
export function apiKeyAuth(apiKeys: readonly string[]): MiddlewareHandler {
  const digests = apiKeys.map(digest);
  return async (c, next) => {
    if (digests.length === 0) return next();
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1]?.trim();
    const presented = c.req.header('x-api-key') ?? bearer;
    if (!presented) {
      throw new ApiError(
        401,
        'authentication_error',
        'Missing API key: send it as the x-api-key header or as Authorization: Bearer.',
      );
    }
    const candidate = digest(presented);
    if (!digests.some((d) => timingSafeEqual(d, candidate))) {
      throw new ApiError(
        401,
        'authentication_error',
        'Invalid API key. Use one of the keys in THREADHAND_API_KEYS.',
      );
    }
    return next();
  };
}
