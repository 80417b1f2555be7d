/**
 * Threadhand's egress proxy: the only way out of a `limited` sandbox. An HTTP proxy (plain
 * requests in absolute form, HTTPS via CONNECT) that allows exactly the environment's hosts and
 * reports every denial. Each sandbox gets its own listener (a UNIX socket bound into it), so a
 * connection always knows which session and policy it belongs to.
 *
 * Hooks for the credentials work: `rewriteRequest` sees every plain-HTTP request before it is
 * forwarded (secret injection per host), and `handleConnect` may take over an allowed CONNECT
 * tunnel (TLS interception). Both run only after the allowlist said yes.
 */
import { lookup } from 'node:dns/promises';
import { rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../logging.js';
import { isHostAllowed, isPrivateAddress } from './proxy-hosts.js';

export interface EgressPolicy {
  sessionId: string;
  /** Allowed hosts (see proxy-hosts.ts for the forms); `undefined` allows every host. */
  allowedHosts: readonly string[] | undefined;
  /**
   * Refuse hosts that resolve to loopback/private/link-local addresses (the host's own
   * services: Threadhand's API, Redis...). The proxy then connects to the address it checked,
   * so DNS cannot change the answer in between.
   */
  denyPrivateAddresses?: boolean;
}

export interface EgressTarget {
  sessionId: string;
  host: string;
  port: number;
}

export interface EgressDenial extends EgressTarget {
  /** `CONNECT` for HTTPS tunnels, else the HTTP method. */
  method: string;
  reason: string;
}

export interface ProxiedRequest {
  sessionId: string;
  method: string;
  url: URL;
  headers: http.OutgoingHttpHeaders;
}

/** Thrown by `rewriteRequest` to refuse a request: answered 403 and reported like a denial. */
export class EgressRefusedError extends Error {
  readonly code = 'egress_denied';
  constructor(reason: string) {
    super(reason);
    this.name = 'EgressRefusedError';
  }
}

export interface EgressProxyOptions {
  logger: Logger;
  /** Called for each denied request (the harness records it as an event). */
  onDenied?(denial: EgressDenial): void;
  /** Rewrites an allowed plain-HTTP request before it is forwarded. */
  rewriteRequest?(request: ProxiedRequest): ProxiedRequest | Promise<ProxiedRequest>;
  /** May take over an allowed CONNECT tunnel; return true when it did (it then owns `client`). */
  handleConnect?(target: EgressTarget, client: Duplex, head: Buffer): boolean | Promise<boolean>;
}

export interface EgressListener {
  /** The UNIX socket path, or `127.0.0.1:<port>` for TCP listeners. */
  readonly address: string;
  readonly port?: number;
  close(): Promise<void>;
}

/** Contract: one proxy, many listeners, each bound to one session's policy. */
export interface EgressProxy {
  listenUnix(path: string, policy: EgressPolicy): Promise<EgressListener>;
  /** A loopback TCP listener (port 0 = ephemeral), for hosts that share the network. */
  listenTcp(port: number, policy: EgressPolicy): Promise<EgressListener>;
  close(): Promise<void>;
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

export function createEgressProxy(options: EgressProxyOptions): EgressProxy {
  const { logger } = options;
  const policies = new WeakMap<net.Socket, EgressPolicy>();
  const listeners = new Set<EgressListener>();
  const sockets = new Set<net.Socket>();
  const server = http.createServer();

  function deny(
    policy: EgressPolicy,
    target: { host: string; port: number },
    method: string,
    reason: string,
  ): string {
    const denial: EgressDenial = {
      sessionId: policy.sessionId,
      host: target.host,
      port: target.port,
      method,
      reason,
    };
    logger.warn(
      { sessionId: policy.sessionId, host: target.host, port: target.port, method },
      'egress denied',
    );
    try {
      options.onDenied?.(denial);
    } catch (error) {
      logger.error({ err: error }, 'egress onDenied hook failed');
    }
    return `Threadhand egress proxy: ${reason}\n`;
  }

  type Verdict = { ok: true; address: string } | { ok: false; status: 403 | 502; reason: string };

  /** Allowlist, then (when asked) the resolved address; `address` is what to connect to. */
  async function check(policy: EgressPolicy, host: string, port: number): Promise<Verdict> {
    if (policy.allowedHosts !== undefined && !isHostAllowed(policy.allowedHosts, host, port)) {
      return {
        ok: false,
        status: 403,
        reason: `${host}:${port} is not in this environment's allowed_hosts (networking: limited). Ask the operator to add it, or work without it.`,
      };
    }
    if (!policy.denyPrivateAddresses) return { ok: true, address: host };
    let addresses: string[];
    try {
      addresses = (await lookup(host, { all: true })).map((a) => a.address);
    } catch {
      return { ok: false, status: 502, reason: `could not resolve ${host}` };
    }
    const internal = addresses.find(isPrivateAddress);
    if (internal || addresses.length === 0) {
      return {
        ok: false,
        status: 403,
        reason: `${host} resolves to a loopback or private address (${internal ?? 'none'}), which sandboxes may not reach.`,
      };
    }
    return { ok: true, address: addresses[0] as string };
  }

  function refusal(
    verdict: { status: 403 | 502; reason: string },
    policy: EgressPolicy,
    target: { host: string; port: number },
    method: string,
  ): string {
    return verdict.status === 403
      ? deny(policy, target, method, verdict.reason)
      : `Threadhand egress proxy: ${verdict.reason}\n`;
  }

  server.on('connect', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    void handleConnect(req, client, head).catch((error) => {
      logger.error({ err: error }, 'egress CONNECT failed');
      client.destroy();
    });
  });

  async function handleConnect(req: http.IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
    const policy = policies.get(req.socket);
    const target = parseAuthority(req.url ?? '');
    client.on('error', () => client.destroy());
    if (!policy || !target) {
      client.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      return;
    }
    const verdict = await check(policy, target.host, target.port);
    if (!verdict.ok) {
      const body = refusal(verdict, policy, target, 'CONNECT');
      client.end(
        `HTTP/1.1 ${verdict.status === 403 ? '403 Forbidden' : '502 Bad Gateway'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const full: EgressTarget = { sessionId: policy.sessionId, ...target };
    if (options.handleConnect && (await options.handleConnect(full, client, head))) return;
    const upstream = net.connect(target.port, verdict.address);
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', (error) => {
      if (!client.writableEnded)
        client.end(`HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n${error.message}\n`);
      client.destroy();
    });
    client.on('close', () => upstream.destroy());
  }

  server.on('request', (req, res) => {
    void handleRequest(req, res).catch((error) => {
      logger.error({ err: error }, 'egress request failed');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end();
    });
  });

  async function handleRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const policy = policies.get(req.socket);
    let url: URL | undefined;
    try {
      url = new URL(req.url ?? '');
    } catch {
      url = undefined;
    }
    if (!policy || !url || url.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('Threadhand egress proxy: send absolute http:// URLs, or CONNECT for https.\n');
      return;
    }
    const port = url.port ? Number(url.port) : 80;
    const method = req.method ?? 'GET';
    const refuse = (verdict: { status: 403 | 502; reason: string }, host: string, atPort: number): void => {
      const body = refusal(verdict, policy, { host: normalizeBracket(host), port: atPort }, method);
      res.writeHead(verdict.status, { 'content-type': 'text/plain', 'x-threadhand-egress': 'denied' });
      res.end(body);
    };
    let verdict = await check(policy, normalizeBracket(url.hostname), port);
    if (!verdict.ok) return refuse(verdict, url.hostname, port);
    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    let outgoing: ProxiedRequest = { sessionId: policy.sessionId, method, url, headers };
    if (options.rewriteRequest) {
      try {
        outgoing = await options.rewriteRequest(outgoing);
      } catch (error) {
        // A rewrite hook may refuse the request (credential placeholder to the wrong host).
        if (error instanceof EgressRefusedError)
          return refuse({ status: 403, reason: error.message }, url.hostname, port);
        throw error;
      }
    }
    const outPort = outgoing.url.port ? Number(outgoing.url.port) : 80;
    if (outgoing.url.hostname !== url.hostname || outPort !== port) {
      // A rewrite may not route around the policy.
      verdict = await check(policy, normalizeBracket(outgoing.url.hostname), outPort);
      if (!verdict.ok) return refuse(verdict, outgoing.url.hostname, outPort);
    }
    const upstream = http.request(
      {
        host: verdict.address,
        port: outPort,
        method: outgoing.method,
        path: `${outgoing.url.pathname}${outgoing.url.search}`,
        headers: outgoing.headers,
      },
      (upstreamRes) => {
        const responseHeaders = { ...upstreamRes.headers };
        for (const name of HOP_BY_HOP) delete responseHeaders[name];
        res.writeHead(upstreamRes.statusCode ?? 502, responseHeaders);
        upstreamRes.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`Threadhand egress proxy: upstream failed: ${error.message}\n`);
    });
    req.pipe(upstream);
  }

  function accept(policy: EgressPolicy) {
    return (socket: net.Socket): void => {
      policies.set(socket, policy);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      server.emit('connection', socket);
    };
  }

  async function listen(
    netServer: net.Server,
    bind: () => void,
    describe: () => { address: string; port?: number },
  ): Promise<EgressListener> {
    await new Promise<void>((resolve, reject) => {
      netServer.once('error', reject);
      netServer.once('listening', () => {
        netServer.off('error', reject);
        resolve();
      });
      bind();
    });
    const info = describe();
    const listener: EgressListener = {
      ...info,
      close: () =>
        new Promise<void>((resolve) => {
          listeners.delete(listener);
          netServer.close(() => resolve());
        }),
    };
    listeners.add(listener);
    return listener;
  }

  return {
    listenUnix(path, policy) {
      rmSync(path, { force: true });
      const netServer = net.createServer(accept(policy));
      return listen(
        netServer,
        () => netServer.listen(path),
        () => ({ address: path }),
      );
    },
    listenTcp(port, policy) {
      const netServer = net.createServer(accept(policy));
      return listen(
        netServer,
        () => netServer.listen(port, '127.0.0.1'),
        () => {
          const bound = (netServer.address() as net.AddressInfo).port;
          return { address: `127.0.0.1:${bound}`, port: bound };
        },
      );
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([...listeners].map((l) => l.close()));
      server.close();
    },
  };
}

function normalizeBracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function parseAuthority(authority: string): { host: string; port: number } | undefined {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(authority.trim());
  if (!match) return undefined;
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host: normalizeBracket(match[1] ?? ''), port };
}
