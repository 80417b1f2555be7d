import type { Session } from './api.js';

export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export const tokens = (n: number): string =>
  n >= 10_000 ? `${(n / 1000).toFixed(n >= 100_000 ? 0 : 1)}k` : String(n);

export function statusLabel(session: Pick<Session, 'status' | 'threadhand'>): string {
  if (session.status !== 'idle') return session.status;
  const reason = session.threadhand?.stop_reason?.type;
  if (!reason) return 'idle';
  if (reason === 'requires_action') return 'idle · needs approval';
  return `idle · ${reason.replace(/_/g, ' ')}`;
}

export const duration = (ms: number): string =>
  ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
