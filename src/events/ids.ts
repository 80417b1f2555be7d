import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** Random bytes are drawn in blocks: one `randomBytes` call per id costs more than the id. */
let pool = Buffer.alloc(0);
let poolAt = 0;

function randomId(length: number): string {
  if (poolAt + length > pool.length) {
    pool = randomBytes(Math.max(4096, length));
    poolAt = 0;
  }
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[pool[poolAt + i]! % 36];
  poolAt += length;
  return out;
}

const SEQ_DIGITS = 12;

/**
 * Event ids encode the per-session sequence number first, so within a session they sort in
 * log order as plain strings; the random tail makes them unique across sessions.
 */
export function eventId(seq: number): string {
  return `sevt_${String(seq).padStart(SEQ_DIGITS, '0')}${randomId(8)}`;
}

/** The sequence number inside an event id, or undefined when the id is not one of ours. */
export function eventSeq(id: string): number | undefined {
  if (!id.startsWith('sevt_') || id.length < 5 + SEQ_DIGITS) return undefined;
  const seq = Number(id.slice(5, 5 + SEQ_DIGITS));
  return Number.isInteger(seq) ? seq : undefined;
}

/** Time-ordered ids for sessions, agents, environments, vaults, credentials. */
export function resourceId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomId(12)}`;
}
