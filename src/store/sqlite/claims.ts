import type { Claims } from '../types.js';
import type { SqliteDatabase } from './database.js';

/** Expired claims are swept at open and every this many claims. */
const SWEEP_EVERY = 1000;

/**
 * Claims in the `claims` table. One statement inserts the key, or takes over a row whose
 * claim has expired; SQLite's write lock makes it atomic across connections and processes on
 * the same file, and `changes` says whether this caller won.
 */
export function createSqliteClaims(db: SqliteDatabase, now: () => number = Date.now): Claims {
  const claim = db.prepare<[string, number, number]>(
    `INSERT INTO claims (key, expires_at) VALUES (?, ?)
     ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE claims.expires_at <= ?`,
  );
  const sweep = db.prepare<[number]>('DELETE FROM claims WHERE expires_at <= ?');
  sweep.run(now());
  let claims = 0;
  return {
    async claim(key, ttlMs) {
      const at = now();
      const won = claim.run(key, at + Math.max(1, Math.floor(ttlMs)), at).changes === 1;
      claims += 1;
      if (claims % SWEEP_EVERY === 0) sweep.run(now());
      return won;
    },
  };
}
