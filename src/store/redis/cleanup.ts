import type { Redis } from 'ioredis';

/** Glob-escapes a prefix for SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/** Deletes every key under `prefix` (tests, `threadhand` reset tooling). Returns how many. */
export async function deleteRedisPrefix(redis: Redis, prefix: string): Promise<number> {
  if (prefix === '') throw new Error('refusing to delete every key: the prefix is empty');
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) deleted += await redis.unlink(...found);
  } while (cursor !== '0');
  return deleted;
}
