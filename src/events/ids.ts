import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

function randomId(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += ALPHABET[byte % 36];
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
