import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import type { Logger } from '../logging.js';
import { StoreError } from '../store/types.js';
import { errorBody } from './http.js';

export type ApiErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

/** An error the API answers with; the body is the Anthropic error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly type: ApiErrorType,
    message: string,
    /** Optional `error.details.error_code`, which the SDK exposes as `err.errorCode`. */
    readonly errorCode?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (message: string, errorCode?: string) =>
  new ApiError(400, 'invalid_request_error', message, errorCode);
export const notFound = (message: string, errorCode?: string) =>
  new ApiError(404, 'not_found_error', message, errorCode);
export const conflict = (message: string) => new ApiError(409, 'invalid_request_error', message);
export const notSupported = (what: string) =>
  new ApiError(
    400,
    'invalid_request_error',
    `${what} is not supported by Threadhand yet (see docs/api.md).`,
    'not_supported',
  );

/** `events.0.content: a message needs at least one content block` — the first issue, field named. */
export function describeZodError(error: z.ZodError, prefix: (string | number)[] = []): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid request body';
  const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
  let message = issue.message;
  if (issue.code === 'invalid_union' && 'errors' in issue) {
    // A discriminated union failing on a known tag: report the inner issue, which names the field.
    const inner = issue.errors.find((list) => list.length > 0)?.[0];
    if (inner) return describeZodError(new z.ZodError([inner]), path);
  }
  if (issue.code === 'unrecognized_keys')
    message = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  const where = path.length > 0 ? path.join('.') : 'body';
  return `${where}: ${message}`;
}

/** Parses an external input with zod; a failure becomes a 400 that names the field. */
export function parseWith<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: (string | number)[] = [],
): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(describeZodError(result.error, prefix));
  return result.data;
}

/** Reads a JSON body; an empty body is `{}`. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('Request body is not valid JSON.');
  }
}

/** Maps errors from the core (runtime, store) and the API to Anthropic-shaped responses. */
export function createErrorHandler(logger: Logger) {
  return (err: Error, c: Context) => {
    const api = toApiError(err);
    if (api.status >= 500)
      logger.error({ err, method: c.req.method, path: c.req.path }, 'API request failed');
    const body = errorBody(api.type, api.message) as ReturnType<typeof errorBody> & {
      error: { details?: { error_code: string } };
    };
    if (api.errorCode) body.error.details = { error_code: api.errorCode };
    return c.json(body, api.status);
  };
}

function toApiError(err: Error): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof z.ZodError) return badRequest(describeZodError(err));
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 401) return new ApiError(401, 'authentication_error', err.message || 'Unauthorized.');
    if (status === 404) return notFound(err.message || 'Not found.');
    if (status === 413)
      return new ApiError(413, 'request_too_large', err.message || 'Request body too large.');
    if (status < 500) return new ApiError(status, 'invalid_request_error', err.message || 'Bad request.');
  }
  const code = (err as { code?: unknown }).code;
  if (err instanceof StoreError || err.name === 'RuntimeError') {
    switch (code) {
      case 'not_found':
        return notFound(err.message);
      case 'invalid':
        return badRequest(err.message);
      case 'terminated':
      case 'conflict':
      case 'fenced':
        return conflict(err.message);
      case 'unavailable':
        return new ApiError(503, 'overloaded_error', err.message);
    }
  }
  return new ApiError(500, 'api_error', 'Internal server error.');
}
