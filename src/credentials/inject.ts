/**
 * Placeholder -> secret substitution for one outgoing request. A placeholder may only travel
 * to its credential's hosts and in its allowed locations (headers; body when allowed); found
 * anywhere else (another host, the URL, a forbidden location) the whole request is refused.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { isHostAllowed } from './proxy-hosts.js';
import type { InjectableCredential } from './session-credentials.js';

export type InjectionOutcome =
  | { ok: true; headers: OutgoingHttpHeaders; body: Buffer | undefined; injected: string[] }
  | { ok: false; reason: string; secretName: string };

export interface OutgoingRequest {
  host: string;
  port: number;
  /** Path and query as sent (`/a?b=c`). */
  path: string;
  headers: OutgoingHttpHeaders;
  body?: Buffer;
}

const replaceAll = (text: string, from: string, to: string) => text.split(from).join(to);

function where(c: InjectableCredential): string {
  const hosts = c.allowedHosts === undefined ? 'any host' : c.allowedHosts.join(', ');
  const locations = [c.header ? 'headers' : undefined, c.body ? 'body' : undefined]
    .filter(Boolean)
    .join(' and ');
  return `${hosts} (in ${locations || 'no location'})`;
}

export function injectCredentials(
  credentials: readonly InjectableCredential[],
  request: OutgoingRequest,
): InjectionOutcome {
  const headers: OutgoingHttpHeaders = { ...request.headers };
  let body = request.body;
  const injected: string[] = [];
  for (const c of credentials) {
    const toHere = c.allowedHosts === undefined || isHostAllowed(c.allowedHosts, request.host, request.port);
    const refuse = (location: string): InjectionOutcome => ({
      ok: false,
      secretName: c.secretName,
      reason: `$${c.secretName} (a vault credential placeholder) was sent to ${request.host}:${request.port} in the ${location}; it may only be sent to ${where(c)}. The request was blocked.`,
    });
    if (request.path.includes(c.placeholder) || decodeSafe(request.path).includes(c.placeholder))
      return refuse('URL');
    let used = false;
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) continue;
      const values = Array.isArray(value) ? value : [String(value)];
      let changed = false;
      const next = values.map((v) => {
        const swapped = swapHeader(name, v, c);
        if (swapped !== v) changed = true;
        return swapped;
      });
      if (!changed) continue;
      if (!toHere || !c.header) return refuse(`${name} header`);
      headers[name] = Array.isArray(value) ? next : next[0];
      used = true;
    }
    if (body?.includes(c.placeholder)) {
      if (!toHere || !c.body) return refuse('body');
      body = Buffer.from(
        replaceAll(body.toString('latin1'), c.placeholder, Buffer.from(c.secretValue).toString('latin1')),
        'latin1',
      );
      used = true;
    }
    if (used) injected.push(c.secretName);
  }
  return { ok: true, headers, body, injected };
}

/** Replaces the placeholder in a header value, including inside `Basic` credentials (git, curl -u). */
function swapHeader(name: string, value: string, c: InjectableCredential): string {
  let out = value.includes(c.placeholder) ? replaceAll(value, c.placeholder, c.secretValue) : value;
  const lower = name.toLowerCase();
  if (lower === 'authorization' || lower === 'proxy-authorization') {
    const basic = /^(\s*basic\s+)([A-Za-z0-9+/=]+)\s*$/i.exec(out);
    if (basic) {
      const decoded = Buffer.from(basic[2] ?? '', 'base64').toString('utf8');
      if (decoded.includes(c.placeholder)) {
        out = `${basic[1]}${Buffer.from(replaceAll(decoded, c.placeholder, c.secretValue), 'utf8').toString('base64')}`;
      }
    }
  }
  return out;
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** True when any of the credentials' placeholders appears in `text` (quick pre-check). */
export function mentionsPlaceholder(credentials: readonly InjectableCredential[], text: string): boolean {
  return credentials.some((c) => text.includes(c.placeholder));
}
