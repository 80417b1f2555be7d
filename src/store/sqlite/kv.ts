import { EventEmitter } from 'node:events';
import Keyv, { type KeyvStoreAdapter, type StoredData } from 'keyv';
import type { KV } from '../types.js';
import type { SqliteDatabase } from './database.js';

/** Expired rows are filtered on read and swept every this many writes. */
const SWEEP_EVERY = 1000;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * A keyv store adapter over the `kv` table of Threadhand's own database. We do not use
 * `@keyv/sqlite`: it depends on the `sqlite3` native package, which downloads prebuilt binaries
 * at install time, and it would open a second driver on the same file. keyv serializes values
 * (with their `expires`) itself; the adapter stores that string plus an expiry column so
 * expired rows can be skipped and swept without parsing them.
 */
export class SqliteKeyvStore extends EventEmitter implements KeyvStoreAdapter {
  // biome-ignore lint/suspicious/noExplicitAny: keyv's adapter type declares `opts: any`.
  opts: any = { dialect: 'sqlite' };
  namespace?: string | undefined;
  private writes = 0;
  private readonly stmts;

  constructor(
    db: SqliteDatabase,
    private readonly now: () => number = Date.now,
  ) {
    super();
    this.stmts = {
      get: db
        .prepare<[string, number], string>(
          'SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)',
        )
        .pluck(),
      set: db.prepare(
        `INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      ),
      delete: db.prepare('DELETE FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)'),
      deleteAny: db.prepare('DELETE FROM kv WHERE key = ?'),
      clearPrefix: db.prepare("DELETE FROM kv WHERE key LIKE ? ESCAPE '\\'"),
      clearAll: db.prepare('DELETE FROM kv'),
      sweep: db.prepare('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      iterate: db.prepare<[string, number], [string, string]>(
        "SELECT key, value FROM kv WHERE key LIKE ? ESCAPE '\\' AND (expires_at IS NULL OR expires_at > ?)",
      ),
    };
    this.stmts.sweep.run(this.now());
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return this.stmts.get.get(key, this.now()) as StoredData<Value> | undefined;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    const at = this.now();
    return keys.map((key) => this.stmts.get.get(key, at) as StoredData<Value | undefined>);
  }

  async has(key: string): Promise<boolean> {
    return this.stmts.get.get(key, this.now()) !== undefined;
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const expiresAt = typeof ttl === 'number' && ttl > 0 ? this.now() + ttl : null;
    this.stmts.set.run(key, typeof value === 'string' ? value : JSON.stringify(value), expiresAt);
    this.writes += 1;
    if (this.writes % SWEEP_EVERY === 0) this.stmts.sweep.run(this.now());
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const live = this.stmts.delete.run(key, this.now()).changes > 0;
    if (!live) this.stmts.deleteAny.run(key);
    return live;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    let all = true;
    for (const key of keys) all = (await this.delete(key)) && all;
    return all;
  }

  async clear(): Promise<void> {
    if (this.namespace) this.stmts.clearPrefix.run(`${escapeLike(this.namespace)}:%`);
    else this.stmts.clearAll.run();
  }

  async *iterator<Value>(
    namespace?: string,
  ): AsyncGenerator<Array<string | Awaited<Value> | undefined>, void> {
    const pattern = namespace ? `${escapeLike(namespace)}:%` : '%';
    const rows = this.stmts.iterate.raw().all(pattern, this.now());
    for (const [key, value] of rows) yield [key, value as Awaited<Value>];
  }

  async disconnect(): Promise<void> {}
}

/** A Keyv over the SQLite database (namespace `threadhand` unless given). */
export function createSqliteKv(db: SqliteDatabase, namespace = 'threadhand'): KV {
  return new Keyv({ store: new SqliteKeyvStore(db), namespace });
}
