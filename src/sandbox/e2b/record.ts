/**
 * Records each session's E2B sandbox id in the KV store (SQLite embedded, Redis distributed),
 * so any replica, or this process after a restart, reconnects to the same sandbox.
 */
import type { KV } from '../../store/types.js';
import type { E2BSandboxProviderOptions } from './types.js';

export type SandboxRecordHooks = Required<
  Pick<E2BSandboxProviderOptions, 'resolveSandboxId' | 'onSandboxCreated' | 'onSandboxDestroyed'>
>;

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
