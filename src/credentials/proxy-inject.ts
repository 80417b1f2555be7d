/**
 * Credential injection hooks for the egress proxy (`createEgressProxy({...hooks})`).
 *
 * - Plain HTTP: `rewriteRequest` swaps placeholders in headers (bodies of plain-HTTP requests
 *   are streamed, not inspected).
 * - HTTPS: for sessions that hold credentials, `handleConnect` terminates the CONNECT tunnel's
 *   TLS with a leaf certificate from Threadhand's CA, reads each request (body included),
 *   swaps placeholders, and sends it upstream over a new TLS connection verified against the
 *   normal trust store. Sessions without credentials get an untouched tunnel.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import type { Logger } from '../logging.js';
import { type CertificateAuthority, systemCaBundle } from './ca.js';
import { injectCredentials } from './inject.js';
import { type EgressDenial, EgressRefusedError, type EgressTarget, type ProxiedRequest } from './proxy.js';
import type { CredentialBroker } from './session-credentials.js';

export interface CredentialInjectorOptions {
  broker: Pick<CredentialBroker, 'get'>;
  ca: CertificateAuthority;
  logger: Logger;
  /** Same callback as the proxy's `onDenied` (the harness records `session.egress_denied`). */
  onDenied?(denial: EgressDenial): void;
  /**
   * Extra CA certificates (PEM) trusted for upstream connections, on top of Node's store
   * (which already includes `NODE_EXTRA_CA_CERTS` set when Threadhand started).
   */
  upstreamCa?: string[];
  /** Largest request body read for inspection (default 32 MiB); bigger bodies get 413. */
  maxBodyBytes?: number;
}

export interface CredentialInjector {
  rewriteRequest(request: ProxiedRequest): ProxiedRequest;
  handleConnect(target: EgressTarget, client: Duplex, head: Buffer): boolean;
  close(): void;
}

const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

export function createCredentialInjector(options: CredentialInjectorOptions): CredentialInjector {
  const { broker, ca, logger } = options;
  const maxBody = options.maxBodyBytes ?? 32 * 1024 * 1024;
  // Passing `ca` replaces Node's default store, so it is rebuilt: Node's roots, the system bundle, extras.
  const upstreamCa = options.upstreamCa?.length
    ? [...tls.rootCertificates, systemCaBundle(), ...options.upstreamCa].filter(Boolean)
    : undefined;
  const targets = new WeakMap<object, EgressTarget>();
  const sockets = new Set<tls.TLSSocket>();

  function report(target: EgressTarget, method: string, reason: string): void {
    logger.warn(
      { sessionId: target.sessionId, host: target.host, port: target.port, method },
      'egress denied: credential placeholder',
    );
    try {
      options.onDenied?.({ ...target, method, reason });
    } catch (error) {
      logger.error({ err: error }, 'egress onDenied hook failed');
    }
  }

  const inner = http.createServer({ requestTimeout: 0 }, (req, res) => {
    void serve(req, res).catch((error: unknown) => {
      logger.warn({ err: error }, 'intercepted request failed');
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('Threadhand egress proxy: upstream failed\n');
    });
  });
  inner.on('clientError', (_error, socket) => socket.destroy());

  async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > maxBody) return undefined;
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  async function serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const target = targets.get(req.socket);
    if (!target) {
      res.writeHead(400).end();
      return;
    }
    const method = req.method ?? 'GET';
    const body = await readBody(req);
    if (body === undefined) {
      res.writeHead(413, { 'content-type': 'text/plain' });
      res.end(`Threadhand egress proxy: request bodies over ${maxBody} bytes cannot be inspected.\n`);
      return;
    }
    const headers: http.OutgoingHttpHeaders = { ...req.headers };
    for (const name of HOP_BY_HOP) delete headers[name];
    const outcome = injectCredentials(broker.get(target.sessionId), {
      host: target.host,
      port: target.port,
      path: req.url ?? '/',
      headers,
      body,
    });
    if (!outcome.ok) {
      report(target, method, outcome.reason);
      res.writeHead(403, { 'content-type': 'text/plain', 'x-threadhand-egress': 'denied' });
      res.end(`Threadhand egress proxy: ${outcome.reason}\n`);
      return;
    }
    const outBody = outcome.body ?? Buffer.alloc(0);
    if (outBody.length > 0 || req.headers['content-length'] !== undefined)
      outcome.headers['content-length'] = String(outBody.length);
    if (outcome.injected.length > 0)
      logger.debug(
        { sessionId: target.sessionId, host: target.host, secrets: outcome.injected },
        'credentials injected',
      );
    await new Promise<void>((resolve, reject) => {
      const upstream = https.request(
        {
          host: target.host,
          port: target.port,
          servername: isIP(target.host) ? undefined : target.host,
          method,
          path: req.url ?? '/',
          headers: outcome.headers,
          ca: upstreamCa,
          agent: false,
        },
        (upstreamRes) => {
          const responseHeaders = { ...upstreamRes.headers };
          for (const name of HOP_BY_HOP) delete responseHeaders[name];
          res.writeHead(upstreamRes.statusCode ?? 502, responseHeaders);
          upstreamRes.pipe(res);
          upstreamRes.on('end', resolve);
          upstreamRes.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(outBody);
    });
  }

  return {
    rewriteRequest(request) {
      const credentials = broker.get(request.sessionId);
      if (credentials.length === 0) return request;
      const port = request.url.port ? Number(request.url.port) : 80;
      const outcome = injectCredentials(credentials, {
        host: request.url.hostname,
        port,
        path: `${request.url.pathname}${request.url.search}`,
        headers: request.headers,
      });
      if (!outcome.ok) throw new EgressRefusedError(outcome.reason);
      return { ...request, headers: outcome.headers };
    },

    handleConnect(target, client, head) {
      if (broker.get(target.sessionId).length === 0) return false;
      const leaf = ca.leafFor(target.host);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) client.unshift(head);
      const socket = new tls.TLSSocket(client, {
        isServer: true,
        secureContext: tls.createSecureContext({ cert: leaf.cert, key: leaf.key }),
        ALPNProtocols: ['http/1.1'],
      });
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
      });
      sockets.add(socket);
      targets.set(socket, target);
      inner.emit('connection', socket);
      return true;
    },

    close() {
      for (const socket of sockets) socket.destroy();
      inner.close();
    },
  };
}
