/**
 * Host allowlists for sandbox egress (`networking.type: limited`). Shared by the egress proxy
 * and harness-side tools (web_fetch) so both enforce the same rule.
 *
 * Entry forms: `example.com` (that host, any port), `*.example.com` (any subdomain),
 * `.example.com` (the host and its subdomains), `host:port` / `[v6]:port` (that port only),
 * or a URL (`https://api.example.com`), whose host (and explicit port) is used; `*` = any host.
 */
import { BlockList, isIP } from 'node:net';
import type { Networking } from '../config/schema.js';

/** Hosts added by `allow_package_managers: true`. */
export const PACKAGE_MANAGER_HOSTS = [
  'registry.npmjs.org',
  'registry.yarnpkg.com',
  'pypi.org',
  'files.pythonhosted.org',
  'crates.io',
  'static.crates.io',
  'index.crates.io',
  'rubygems.org',
  'proxy.golang.org',
  'sum.golang.org',
  'deb.debian.org',
  'security.debian.org',
  'archive.ubuntu.com',
  'security.ubuntu.com',
];

interface HostRule {
  host: string;
  port?: number;
  subdomains: boolean;
  apex: boolean;
  /** `*`: every host (credentials issue: unrestricted environments routed through the proxy). */
  any?: boolean;
}

export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

function parseRule(entry: string): HostRule | undefined {
  let text = entry.trim().toLowerCase();
  if (text === '') return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(text)) {
    try {
      const url = new URL(text);
      return {
        host: normalizeHost(url.hostname),
        port: url.port ? Number(url.port) : undefined,
        subdomains: false,
        apex: true,
      };
    } catch {
      return undefined;
    }
  }
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (v6) {
    return {
      host: normalizeHost(v6[1] ?? ''),
      port: v6[2] ? Number(v6[2]) : undefined,
      subdomains: false,
      apex: true,
    };
  }
  const withPort = /^(.*):(\d+)$/.exec(text);
  if (withPort && !(withPort[1] ?? '').includes(':')) {
    text = withPort[1] ?? '';
    port = Number(withPort[2]);
  }
  if (text === '*') return { host: '*', port, subdomains: false, apex: false, any: true };
  if (text.startsWith('*.'))
    return { host: normalizeHost(text.slice(2)), port, subdomains: true, apex: false };
  if (text.startsWith('.')) return { host: normalizeHost(text.slice(1)), port, subdomains: true, apex: true };
  return { host: normalizeHost(text), port, subdomains: false, apex: true };
}

/** True when `host:port` is allowed by one of the entries. */
export function isHostAllowed(allowedHosts: readonly string[], host: string, port: number): boolean {
  const h = normalizeHost(host);
  for (const entry of allowedHosts) {
    const rule = parseRule(entry);
    if (!rule) continue;
    if (rule.port !== undefined && rule.port !== port) continue;
    if (rule.any) return true;
    if (rule.apex && h === rule.host) return true;
    if (rule.subdomains && h.endsWith(`.${rule.host}`)) return true;
  }
  return false;
}

/** The effective allowlist of an environment, or `undefined` when egress is unrestricted. */
export function allowedHostsFor(networking: Networking): string[] | undefined {
  if (networking.type === 'unrestricted') return undefined;
  return networking.allow_package_managers
    ? [...networking.allowed_hosts, ...PACKAGE_MANAGER_HOSTS]
    : [...networking.allowed_hosts];
}

function privateRanges(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv4');
  }
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv6');
  }
  return list;
}

const PRIVATE = privateRanges();

/** True for loopback, private, link-local, CGNAT, multicast and unspecified addresses. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return PRIVATE.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, 'ipv4');
  if (family === 6) return PRIVATE.check(address, 'ipv6');
  return false;
}
