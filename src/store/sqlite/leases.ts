import type { Lease, LeaseManager } from '../types.js';
import type { SqliteDatabase } from './database.js';

interface LeaseRow {
  owner: string | null;
  token: number;
  expires_at: number;
}

/**
 * Leases in the `leases` table. A row is never deleted (release only clears the owner), so the
 * token counter survives releases and expiries: tokens are monotonic per session forever, and
 * `SessionLog.append` compares its fencing token against the same row. A live lease is not
 * re-acquired even by its own owner (that is what `renew` is for).
 */
export function createSqliteLeaseManager(db: SqliteDatabase, now: () => number = Date.now): LeaseManager {
  const select = db.prepare<[string], LeaseRow>(
    'SELECT owner, token, expires_at FROM leases WHERE session_id = ?',
  );
  const upsert = db.prepare(
    `INSERT INTO leases (session_id, owner, token, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (session_id) DO UPDATE SET owner = excluded.owner, token = excluded.token,
       expires_at = excluded.expires_at`,
  );
  const renew = db.prepare(
    `UPDATE leases SET expires_at = ? WHERE session_id = ? AND owner = ? AND token = ? AND expires_at > ?`,
  );
  const release = db.prepare(
    'UPDATE leases SET owner = NULL, expires_at = 0 WHERE session_id = ? AND owner = ? AND token = ?',
  );

  const acquireTx = db.transaction((sessionId: string, owner: string, ttlMs: number): Lease | null => {
    const at = now();
    const row = select.get(sessionId);
    if (row && row.owner !== null && row.expires_at > at) return null;
    const token = (row?.token ?? 0) + 1;
    upsert.run(sessionId, owner, token, at + ttlMs);
    return { sessionId, owner, token };
  });

  return {
    async acquire(sessionId, owner, ttlMs) {
      return acquireTx.immediate(sessionId, owner, ttlMs);
    },
    async renew(lease, ttlMs) {
      const at = now();
      // An expired lease is lost even if nobody took it yet: anyone may take it at any moment.
      return renew.run(at + ttlMs, lease.sessionId, lease.owner, lease.token, at).changes === 1;
    },
    async release(lease) {
      release.run(lease.sessionId, lease.owner, lease.token);
    },
  };
}
