/**
 * "What was posted for which event", kept in KV so a restarted renderer or a redelivered
 * chat event never posts twice, and a renderer that restarts mid-answer continues the same
 * messages. Keys are namespaced: `<namespace>:<key>`.
 */
import type { Claims, KV } from '../../store/types.js';

export interface RecordStore<T> {
  get(key: string): Promise<T | undefined>;
  set(key: string, value: T): Promise<void>;
  delete(key: string): Promise<void>;
}

export function createRecordStore<T>(kv: KV, namespace: string, ttlMs?: number): RecordStore<T> {
  const full = (key: string) => `${namespace}:${key}`;
  return {
    async get(key) {
      return (await kv.get(full(key))) as T | undefined;
    },
    async set(key, value) {
      await kv.set(full(key), value, ttlMs);
    },
    async delete(key) {
      await kv.delete(full(key));
    },
  };
}

export interface Deduper {
  /**
   * True the first time a key is claimed (within `ttlMs`), false for every repeat: for
   * platform retries and redeliveries of the same event id. Atomic across every process
   * sharing the store (see the `Claims` contract), so two front doors receiving the same
   * event at once go ahead only once.
   */
  claim(key: string): Promise<boolean>;
}

export function createDeduper(claims: Claims, namespace: string, ttlMs = 24 * 3600_000): Deduper {
  return {
    claim: (key) => claims.claim(`${namespace}:${key}`, ttlMs),
  };
}
