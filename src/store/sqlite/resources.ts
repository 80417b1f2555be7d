import type { ResourceStore } from '../types.js';
import type { SqliteDatabase } from './database.js';

/** Resources as JSON documents; `put` keeps the first insert's place in creation order. */
export function createSqliteResourceStore(db: SqliteDatabase): ResourceStore {
  const select = db
    .prepare<[string, string], string>('SELECT json FROM resources WHERE kind = ? AND id = ?')
    .pluck();
  const upsert = db.prepare(
    `INSERT INTO resources (kind, id, json) VALUES (?, ?, ?)
     ON CONFLICT (kind, id) DO UPDATE SET json = excluded.json`,
  );
  const remove = db.prepare('DELETE FROM resources WHERE kind = ? AND id = ?');
  const list = db.prepare<[string], string>('SELECT json FROM resources WHERE kind = ? ORDER BY ord').pluck();

  return {
    async get<T>(kind: string, id: string) {
      const json = select.get(kind, id);
      return json === undefined ? undefined : (JSON.parse(json) as T);
    },
    async put<T>(kind: string, id: string, value: T) {
      upsert.run(kind, id, JSON.stringify(value));
    },
    async delete(kind, id) {
      remove.run(kind, id);
    },
    async list<T>(kind: string) {
      return list.all(kind).map((json) => JSON.parse(json) as T);
    },
  };
}
