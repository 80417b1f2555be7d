import type { Redis } from 'ioredis';
import { resourceId } from '../../events/ids.js';
import type { StopReason } from '../../events/schema.js';
import {
  type ListSessionsOptions,
  type NewSession,
  type Page,
  type SessionPatch,
  type SessionRecord,
  type SessionStatus,
  StoreError,
} from '../types.js';
import type { RedisKeys } from './keys.js';
import { CREATE_SESSION, UPDATE_SESSION } from './scripts.js';

const DEFAULT_PAGE = 20;
const MAX_PAGE = 1000;
const STATUSES = new Set<SessionStatus>(['idle', 'running', 'rescheduling', 'terminated']);

/** ioredis returns HGETALL as an object; an empty object means the hash does not exist. */
type Row = Record<string, string>;

export function rowToRecord(row: Row): SessionRecord | undefined {
  if (row.id === undefined) return undefined;
  return {
    id: row.id,
    agent_id: row.agent_id ?? '',
    agent_version: Number(row.agent_version ?? 1),
    environment_id: row.environment_id ?? '',
    title: JSON.parse(row.title ?? 'null') as string | null,
    metadata: JSON.parse(row.metadata ?? '{}') as Record<string, string>,
    vault_ids: JSON.parse(row.vault_ids ?? '[]') as string[],
    status: (row.status ?? 'idle') as SessionStatus,
    stop_reason: row.stop_reason ? (JSON.parse(row.stop_reason) as StopReason) : null,
    created_at: row.created_at ?? '',
    updated_at: row.updated_at ?? '',
    archived_at: row.archived_at ? row.archived_at : null,
    last_event_id: row.last_event_id ? row.last_event_id : null,
    event_count: Number(row.event_count ?? 0),
  };
}

/** HGETALL as a flat [field, value, ...] array (what EVAL returns) to an object. */
function pairsToRow(pairs: unknown): Row {
  const row: Row = {};
  if (!Array.isArray(pairs)) return row;
  for (let i = 0; i + 1 < pairs.length; i += 2) row[String(pairs[i])] = String(pairs[i + 1]);
  return row;
}

/** Cursors are opaque to callers: base64url of the creation-order number of the last row. */
function encodeCursor(ord: number): string {
  return Buffer.from(`o:${ord}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString();
  const ord = text.startsWith('o:') ? Number(text.slice(2)) : Number.NaN;
  if (!Number.isSafeInteger(ord)) throw new StoreError('invalid', `invalid page cursor: ${cursor}`);
  return ord;
}

/** Session rows in hashes, listed through a sorted set scored by creation order. */
export function createRedisSessionTable(redis: Redis, keys: RedisKeys) {
  async function get(id: string): Promise<SessionRecord | undefined> {
    return rowToRecord(await redis.hgetall(keys.session(id)));
  }

  async function create(session: NewSession): Promise<SessionRecord> {
    const id = session.id ?? resourceId('sesn');
    const now = new Date().toISOString();
    const fields: Row = {
      id,
      agent_id: session.agent_id,
      agent_version: String(session.agent_version ?? 1),
      environment_id: session.environment_id,
      title: JSON.stringify(session.title ?? null),
      metadata: JSON.stringify(session.metadata ?? {}),
      vault_ids: JSON.stringify(session.vault_ids ?? []),
      status: 'idle',
      stop_reason: '',
      created_at: now,
      updated_at: now,
      archived_at: '',
      last_event_id: '',
      event_count: '0',
      seq: '0',
      last_at: '',
    };
    const args = [id, ...Object.entries(fields).flat()];
    const ord = await CREATE_SESSION.run(
      redis,
      [keys.session(id), keys.sessionIndex, keys.sessionOrd, keys.statusIndex('idle')],
      args,
    );
    if (ord === 0) throw new StoreError('conflict', `session ${id} already exists`);
    return rowToRecord(fields)!;
  }

  async function update(id: string, patch: SessionPatch): Promise<SessionRecord> {
    const fields: Row = { updated_at: new Date().toISOString() };
    if (patch.title !== undefined) fields.title = JSON.stringify(patch.title);
    if (patch.metadata !== undefined) fields.metadata = JSON.stringify(patch.metadata);
    if (patch.vault_ids !== undefined) fields.vault_ids = JSON.stringify(patch.vault_ids);
    if (patch.archived_at !== undefined) fields.archived_at = patch.archived_at ?? '';
    const result = await UPDATE_SESSION.run(redis, [keys.session(id)], Object.entries(fields).flat());
    const record = rowToRecord(pairsToRow(result));
    if (!record) throw new StoreError('not_found', `session ${id} not found`);
    return record;
  }

  async function list(options: ListSessionsOptions = {}): Promise<Page<SessionRecord>> {
    const limit = Math.min(Math.max(Math.floor(options.limit ?? DEFAULT_PAGE), 1), MAX_PAGE);
    const desc = (options.order ?? 'desc') === 'desc';
    let statuses: Set<SessionStatus> | undefined;
    if (options.statuses !== undefined) {
      statuses = new Set(options.statuses.filter((s) => STATUSES.has(s)));
      if (statuses.size === 0) return { data: [], next: null };
    }
    const found: Array<{ ord: number; record: SessionRecord }> = [];
    let bound = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const batch = Math.max(50, limit + 1);
    // With a status filter, walk the per-status indexes (small for running/rescheduling)
    // instead of every session; rows are still checked, as a status may change meanwhile.
    const indexes = statuses ? [...statuses].map((s) => keys.statusIndex(s)) : [keys.sessionIndex];
    while (found.length <= limit) {
      const lists = await Promise.all(
        indexes.map((index) =>
          desc
            ? redis.zrevrangebyscore(
                index,
                bound === undefined ? '+inf' : `(${bound}`,
                '-inf',
                'WITHSCORES',
                'LIMIT',
                0,
                batch,
              )
            : redis.zrangebyscore(
                index,
                bound === undefined ? '-inf' : `(${bound}`,
                '+inf',
                'WITHSCORES',
                'LIMIT',
                0,
                batch,
              ),
        ),
      );
      // Entries are safe to take up to the nearest last score of any index that may hold more.
      let horizon: number | undefined;
      const candidates: Array<{ id: string; ord: number }> = [];
      for (const list of lists) {
        for (let i = 0; i + 1 < list.length; i += 2)
          candidates.push({ id: list[i]!, ord: Number(list[i + 1]) });
        if (list.length === 2 * batch) {
          const last = Number(list[list.length - 1]);
          horizon = horizon === undefined ? last : desc ? Math.max(horizon, last) : Math.min(horizon, last);
        }
      }
      candidates.sort((a, b) => (desc ? b.ord - a.ord : a.ord - b.ord));
      const safe =
        horizon === undefined
          ? candidates
          : candidates.filter((c) => (desc ? c.ord >= horizon! : c.ord <= horizon!));
      if (safe.length === 0) break;
      const pipeline = redis.pipeline();
      for (const candidate of safe) pipeline.hgetall(keys.session(candidate.id));
      const rows = (await pipeline.exec()) ?? [];
      for (let i = 0; i < rows.length; i++) {
        const ord = safe[i]!.ord;
        bound = ord;
        const record = rowToRecord((rows[i]?.[1] ?? {}) as Row);
        if (!record) continue; // deleted between the index read and the row read
        if (!options.includeArchived && record.archived_at !== null) continue;
        if (statuses && !statuses.has(record.status)) continue;
        found.push({ ord, record });
        if (found.length > limit) break;
      }
      if (horizon === undefined) break;
    }
    const more = found.length > limit;
    const page = more ? found.slice(0, limit) : found;
    const last = page[page.length - 1];
    return { data: page.map((f) => f.record), next: more && last ? encodeCursor(last.ord) : null };
  }

  async function remove(id: string): Promise<void> {
    await redis
      .multi()
      .del(keys.session(id), keys.stream(id), keys.lease(id), keys.leaseToken(id))
      .zrem(keys.sessionIndex, id)
      .zrem(keys.statusIndex('idle'), id)
      .zrem(keys.statusIndex('running'), id)
      .zrem(keys.statusIndex('rescheduling'), id)
      .zrem(keys.statusIndex('terminated'), id)
      .exec();
  }

  return { get, create, update, list, remove };
}

export type RedisSessionTable = ReturnType<typeof createRedisSessionTable>;
