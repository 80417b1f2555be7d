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
import type { SqliteDatabase } from './database.js';

interface SessionRow {
  ord: number;
  id: string;
  agent_id: string;
  agent_version: number;
  environment_id: string;
  title: string | null;
  metadata: string;
  vault_ids: string;
  status: string;
  stop_reason: string | null;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  last_event_id: string | null;
  event_count: number;
}

const DEFAULT_PAGE = 20;
const MAX_PAGE = 1000;
const STATUSES = new Set<SessionStatus>(['idle', 'running', 'rescheduling', 'terminated']);

function toRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    agent_id: row.agent_id,
    agent_version: row.agent_version,
    environment_id: row.environment_id,
    title: row.title,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    vault_ids: JSON.parse(row.vault_ids) as string[],
    status: row.status as SessionStatus,
    stop_reason: row.stop_reason === null ? null : (JSON.parse(row.stop_reason) as StopReason),
    created_at: row.created_at,
    updated_at: row.updated_at,
    archived_at: row.archived_at,
    last_event_id: row.last_event_id,
    event_count: row.event_count,
  };
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

/** Session rows: create, read, patch, list with cursor pagination, delete (with events). */
export function createSessionTable(db: SqliteDatabase) {
  const insert = db.prepare(
    `INSERT INTO sessions (id, agent_id, agent_version, environment_id, title, metadata, vault_ids,
       status, stop_reason, created_at, updated_at, archived_at, last_event_id, event_count)
     VALUES (@id, @agent_id, @agent_version, @environment_id, @title, @metadata, @vault_ids,
       'idle', NULL, @now, @now, NULL, NULL, 0)
     ON CONFLICT (id) DO NOTHING`,
  );
  const select = db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?');
  const deleteEvents = db.prepare('DELETE FROM events WHERE session_id = ?');
  const deleteRow = db.prepare('DELETE FROM sessions WHERE id = ?');

  function get(id: string): SessionRecord | undefined {
    const row = select.get(id);
    return row ? toRecord(row) : undefined;
  }

  function create(session: NewSession): SessionRecord {
    const id = session.id ?? resourceId('sesn');
    const now = new Date().toISOString();
    const result = insert.run({
      id,
      agent_id: session.agent_id,
      agent_version: session.agent_version ?? 1,
      environment_id: session.environment_id,
      title: session.title ?? null,
      metadata: JSON.stringify(session.metadata ?? {}),
      vault_ids: JSON.stringify(session.vault_ids ?? []),
      now,
    });
    if (result.changes === 0) throw new StoreError('conflict', `session ${id} already exists`);
    return get(id)!;
  }

  const update = db.transaction((id: string, patch: SessionPatch): SessionRecord => {
    if (!select.get(id)) throw new StoreError('not_found', `session ${id} not found`);
    const sets: string[] = ['updated_at = @updated_at'];
    const params: Record<string, unknown> = { id, updated_at: new Date().toISOString() };
    if (patch.title !== undefined) {
      sets.push('title = @title');
      params.title = patch.title;
    }
    if (patch.metadata !== undefined) {
      sets.push('metadata = @metadata');
      params.metadata = JSON.stringify(patch.metadata);
    }
    if (patch.vault_ids !== undefined) {
      sets.push('vault_ids = @vault_ids');
      params.vault_ids = JSON.stringify(patch.vault_ids);
    }
    if (patch.archived_at !== undefined) {
      sets.push('archived_at = @archived_at');
      params.archived_at = patch.archived_at;
    }
    db.prepare(`UPDATE sessions SET ${sets.join(', ')} WHERE id = @id`).run(params);
    return get(id)!;
  });

  function list(options: ListSessionsOptions = {}): Page<SessionRecord> {
    const limit = Math.min(Math.max(Math.floor(options.limit ?? DEFAULT_PAGE), 1), MAX_PAGE);
    const desc = (options.order ?? 'desc') === 'desc';
    const where: string[] = [];
    const params: unknown[] = [];
    if (options.cursor !== undefined) {
      where.push(desc ? 'ord < ?' : 'ord > ?');
      params.push(decodeCursor(options.cursor));
    }
    if (!options.includeArchived) where.push('archived_at IS NULL');
    if (options.statuses !== undefined) {
      const statuses = options.statuses.filter((s) => STATUSES.has(s));
      if (statuses.length === 0) return { data: [], next: null };
      where.push(`status IN (${statuses.map(() => '?').join(', ')})`);
      params.push(...statuses);
    }
    const sql = `SELECT * FROM sessions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ord ${desc ? 'DESC' : 'ASC'} LIMIT ?`;
    const rows = db.prepare<unknown[], SessionRow>(sql).all(...params, limit + 1);
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const last = page[page.length - 1];
    return { data: page.map(toRecord), next: more && last ? encodeCursor(last.ord) : null };
  }

  const remove = db.transaction((id: string) => {
    deleteEvents.run(id);
    deleteRow.run(id);
  });

  return {
    get,
    create,
    update: (id: string, patch: SessionPatch) => update.immediate(id, patch),
    list,
    remove: (id: string) => remove.immediate(id),
  };
}

export type SessionTable = ReturnType<typeof createSessionTable>;
