/**
 * Key layout under one prefix, so several Threadhand deployments (or tests) share a Redis
 * without seeing each other, and one `SCAN prefix*` finds everything a deployment owns.
 * Not Redis Cluster aware: the append script touches per-session keys and the global list.
 */
export interface RedisKeys {
  readonly prefix: string;
  session(id: string): string;
  stream(id: string): string;
  lease(id: string): string;
  leaseToken(id: string): string;
  deltaChannel(id: string): string;
  sessionIndex: string;
  /** Sessions of one status by creation order (recovery sweeps list running sessions often). */
  statusIndex(status: string): string;
  /** What the append script appends a status to, to name that status's index. */
  statusIndexPrefix: string;
  sessionOrd: string;
  resources(kind: string): string;
  resourceOrder(kind: string): string;
  resourceOrd: string;
  kvNamespace: string;
  bullPrefix: string;
}

export const DEFAULT_PREFIX = 'threadhand:';

/** `threadhand` and `threadhand:` name the same prefix. */
export function normalizePrefix(prefix: string | undefined): string {
  const value = prefix ?? DEFAULT_PREFIX;
  if (value === '') return '';
  return value.endsWith(':') ? value : `${value}:`;
}

export function redisKeys(rawPrefix: string | undefined): RedisKeys {
  const p = normalizePrefix(rawPrefix);
  return {
    prefix: p,
    session: (id) => `${p}s:${id}`,
    stream: (id) => `${p}s:${id}:log`,
    lease: (id) => `${p}s:${id}:lease`,
    leaseToken: (id) => `${p}s:${id}:token`,
    deltaChannel: (id) => `${p}s:${id}:deltas`,
    sessionIndex: `${p}sessions`,
    statusIndex: (status) => `${p}sessions:status:${status}`,
    statusIndexPrefix: `${p}sessions:status:`,
    sessionOrd: `${p}sessions:ord`,
    resources: (kind) => `${p}r:${kind}`,
    resourceOrder: (kind) => `${p}r:${kind}:order`,
    resourceOrd: `${p}r:ord`,
    // @keyv/redis joins namespace and key with '::'; the namespace keeps KV keys under the prefix.
    kvNamespace: `${p}kv`,
    // BullMQ joins prefix, queue name and key with ':'.
    bullPrefix: `${p}bull`,
  };
}

/** Stream entry ids are `0-<seq>`: XRANGE by our sequence number is direct. */
export function streamId(seq: number): string {
  return `0-${seq}`;
}
