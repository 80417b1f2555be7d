/**
 * Where a session's E2B sandbox id is recorded, so any replica, or this process after a
 * restart, reconnects to the same sandbox. The session log is the source of truth: every
 * `span.sandbox_operation` of the session carries the sandbox id, the latest one names the
 * current sandbox (a `destroy` means there is none). KV (SQLite embedded, Redis distributed)
 * is a cache written at create time; it answers only while the log names no sandbox yet (a
 * crash between create and the log append would otherwise leak the new sandbox).
 */
import type { SessionEvent } from '../../events/schema.js';
import type { KV, SessionLog } from '../../store/types.js';
import type { E2BSandboxProviderOptions } from './types.js';

export type SandboxRecordHooks = Required<
  Pick<E2BSandboxProviderOptions, 'resolveSandboxId' | 'onSandboxCreated' | 'onSandboxDestroyed'>
>;

const PROVIDER = 'e2b';

export function kvSandboxRecord(kv: KV, prefix = 'e2b:sandbox:'): SandboxRecordHooks {
  return {
    resolveSandboxId: async (sessionId) => (await kv.get<string>(`${prefix}${sessionId}`)) ?? undefined,
    onSandboxCreated: async (sessionId, sandboxId) => {
      await kv.set(`${prefix}${sessionId}`, sandboxId);
    },
    onSandboxDestroyed: async (sessionId) => {
      await kv.delete(`${prefix}${sessionId}`);
    },
  };
}

/**
 * The E2B sandbox the session log names now: its id, `null` when the latest operation
 * destroyed it, `undefined` when the log records no E2B sandbox operation.
 */
export function latestLoggedSandboxId(events: readonly SessionEvent[]): string | null | undefined {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i];
    if (event?.type !== 'span.sandbox_operation' || event.provider !== PROVIDER) continue;
    if (event.operation === 'destroy') return null;
    if (event.sandbox_id) return event.sandbox_id;
  }
  return undefined;
}

/** Reconnects by the session log's latest sandbox operation; KV stays a cache (see above). */
export function sessionLogSandboxRecord(
  log: Pick<SessionLog, 'read'>,
  kv: KV,
  prefix?: string,
): SandboxRecordHooks {
  const cache = kvSandboxRecord(kv, prefix);
  return {
    ...cache,
    resolveSandboxId: async (sessionId) => {
      const logged = latestLoggedSandboxId(await log.read(sessionId));
      if (logged === null) return undefined;
      return logged ?? cache.resolveSandboxId(sessionId);
    },
  };
}
