/**
 * E2B failures translated at the boundary into `SandboxError`s whose message says what to do,
 * with a stable `e2bCode` for callers that branch (auth, quota, not found, timeout...).
 */
import {
  AuthenticationError,
  SandboxError as E2BSdkError,
  FileNotFoundError,
  InvalidArgumentError,
  NotEnoughSpaceError,
  RateLimitError,
  SandboxNotFoundError,
  ServiceBusyError,
  TemplateError,
  TimeoutError,
} from 'e2b';
import { SandboxError, type SandboxErrorCode } from '../types.js';

export type E2BErrorCode =
  | 'e2b_auth_failed'
  | 'e2b_quota_exceeded'
  | 'e2b_sandbox_not_found'
  | 'e2b_template_not_found'
  | 'e2b_timeout'
  | 'e2b_unavailable'
  | 'e2b_disk_full'
  | 'e2b_failed';

export class E2BSandboxError extends SandboxError {
  constructor(
    readonly e2bCode: E2BErrorCode,
    message: string,
    code: SandboxErrorCode = 'sandbox_failed',
  ) {
    super(code, message);
    this.name = 'E2BSandboxError';
  }
}

export interface ErrorContext {
  /** What we were doing, e.g. `create an E2B sandbox` or `read /workspace/a.txt`. */
  action: string;
  sandboxId?: string;
  template?: string;
  apiUrl?: string;
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function isNetworkFailure(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  const cause = (err as { cause?: { code?: string } }).cause;
  return (
    err.message === 'fetch failed' ||
    ['ECONNREFUSED', 'ENOTFOUND', 'ECONNRESET', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'].includes(
      cause?.code ?? '',
    )
  );
}

/** True when the error means the sandbox itself is gone or asleep (not a missing file). */
export function looksGone(err: unknown): boolean {
  if (err instanceof SandboxNotFoundError) return true;
  // envd behind E2B's proxy answers 502 for a sandbox that is not running; the SDK reports
  // that as a TimeoutError ("likely due to sandbox timeout").
  return (
    err instanceof TimeoutError && /sandbox timeout|not running|killed|end of life|502/i.test(err.message)
  );
}

/** The SandboxError to throw for an E2B failure (already-translated errors pass through). */
export function translateE2BError(err: unknown, context: ErrorContext): SandboxError {
  if (err instanceof SandboxError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  const where = context.sandboxId ? ` (sandbox ${context.sandboxId})` : '';
  if (err instanceof AuthenticationError) {
    return new E2BSandboxError(
      'e2b_auth_failed',
      `E2B rejected the credentials while trying to ${context.action}: ${detail}. Set E2B_API_KEY to a valid key from your E2B dashboard (or fix the key passed to Threadhand) and try again.`,
    );
  }
  if (err instanceof RateLimitError || statusOf(err) === 429) {
    return new E2BSandboxError(
      'e2b_quota_exceeded',
      `E2B refused to ${context.action}: rate limit or sandbox quota reached (${detail}). Wait and retry, kill sandboxes you no longer need, or raise the limits of your E2B plan.`,
    );
  }
  if (err instanceof ServiceBusyError) {
    return new E2BSandboxError(
      'e2b_unavailable',
      `E2B is temporarily unavailable and could not ${context.action}: ${detail}. Retry in a moment.`,
    );
  }
  if (err instanceof FileNotFoundError) {
    return new E2BSandboxError('e2b_failed', `Could not ${context.action}: it does not exist.`, 'not_found');
  }
  if (err instanceof SandboxNotFoundError || looksGone(err)) {
    return new E2BSandboxError(
      'e2b_sandbox_not_found',
      `The E2B sandbox${where} is no longer running (expired or killed outside Threadhand), so Threadhand could not ${context.action}. Run the step again; a new sandbox is created when the old one is gone.`,
    );
  }
  if (err instanceof TemplateError || (context.template && statusOf(err) === 404)) {
    return new E2BSandboxError(
      'e2b_template_not_found',
      `E2B could not ${context.action} from template "${context.template ?? '?'}": ${detail}. Check the environment's e2b.template (default "base") exists in your E2B team, or build it with the E2B CLI.`,
    );
  }
  if (err instanceof TimeoutError || (err instanceof Error && err.name === 'TimeoutError')) {
    return new E2BSandboxError(
      'e2b_timeout',
      `E2B timed out while trying to ${context.action}${where}: ${detail}. Retry; if it keeps happening, check E2B's status page and your network.`,
    );
  }
  if (err instanceof NotEnoughSpaceError) {
    return new E2BSandboxError(
      'e2b_disk_full',
      `The E2B sandbox${where} is out of disk space, so Threadhand could not ${context.action}. Remove files from /workspace or use a template with a larger disk.`,
    );
  }
  if (isNetworkFailure(err)) {
    return new E2BSandboxError(
      'e2b_unavailable',
      `Cannot reach E2B${context.apiUrl ? ` at ${context.apiUrl}` : ''} to ${context.action}: ${detail}. Check the network and E2B_DOMAIN / E2B_API_URL / E2B_SANDBOX_URL if you run a self-hosted E2B.`,
    );
  }
  if (err instanceof InvalidArgumentError || err instanceof E2BSdkError) {
    return new E2BSandboxError('e2b_failed', `E2B could not ${context.action}${where}: ${detail}`);
  }
  return new E2BSandboxError('e2b_failed', `Could not ${context.action}${where}: ${detail}`);
}
