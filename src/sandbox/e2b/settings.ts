/** From an environment's config to the options the e2b SDK takes at create time. */
import { ALL_TRAFFIC, type SandboxOpts } from 'e2b';
import type { EnvironmentConfig } from '../../config/schema.js';
import { allowedHostsFor } from '../../credentials/proxy-hosts.js';
import type { E2BConnection } from './types.js';

export const DEFAULT_TEMPLATE = 'base';
export const DEFAULT_TIMEOUT_SECONDS = 600;

/** E2B's egress rules take hosts (domains, `*.domain`, IPs, CIDRs) without ports or schemes. */
export function e2bHost(entry: string): string | undefined {
  let host = entry.trim().toLowerCase();
  if (host === '') return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(host)) {
    try {
      host = new URL(host).hostname;
    } catch {
      return undefined;
    }
  }
  if (host.startsWith('[')) host = host.slice(1, host.indexOf(']'));
  else if (/^[^:]+:\d+$/.test(host)) host = host.slice(0, host.lastIndexOf(':'));
  if (host.startsWith('.')) host = `*${host}`;
  return host;
}

/** The SDK's network options for the environment's policy (undefined: unrestricted). */
export function networkFor(
  environment: EnvironmentConfig,
): Pick<SandboxOpts, 'network' | 'allowInternetAccess'> {
  const hosts = allowedHostsFor(environment.networking);
  if (!hosts) return {};
  const allowOut = [...new Set(hosts.flatMap((h) => e2bHost(h) ?? []))];
  if (allowOut.length === 0) return { allowInternetAccess: false };
  return { network: { denyOut: [ALL_TRAFFIC], allowOut } };
}

export function timeoutMsFor(environment: EnvironmentConfig): number {
  return (environment.e2b?.timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
}

/**
 * Create options. Only the metadata below is sent: no Threadhand secret goes in as an env
 * var. On E2B timeout the sandbox is paused, not killed, so a crashed harness loses nothing.
 */
export function createOptions(
  environment: EnvironmentConfig,
  sessionId: string,
  connection: E2BConnection,
  timeoutMs: number,
): SandboxOpts {
  return {
    ...connection,
    timeoutMs,
    metadata: { threadhand_session: sessionId, threadhand_environment: environment.name },
    lifecycle: { onTimeout: 'pause' },
    ...networkFor(environment),
  };
}
