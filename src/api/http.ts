import type { AddressInfo } from 'node:net';
import { type ServerType, serve, type WebSocketServerLike } from '@hono/node-server';
import { Hono } from 'hono';
import type { Logger } from '../logging.js';

/**
 * Something /readyz asks. A `Service` fits as is. `notReady` returns null when ready, else
 * what is wrong; a check without `notReady` is always ready.
 */
export interface ReadinessCheck {
  readonly name: string;
  notReady?(): string | null | Promise<string | null>;
}

/** The one shared Hono app: every front door mounts its routes on it. */
export type HttpApp = Hono & {
  /** Adds a check that /readyz reports (services register themselves at composition). */
  addReadinessCheck(check: ReadinessCheck): void;
};

export interface HttpAppOptions {
  checks?: ReadinessCheck[];
  logger?: Logger;
}

/** Error body in the Anthropic shape; used for 404s and unhandled errors on every route. */
export function errorBody(
  type: string,
  message: string,
): { type: 'error'; error: { type: string; message: string } } {
  return { type: 'error', error: { type, message } };
}

/** Creates the shared app with `/healthz` (process alive) and `/readyz` (registered checks). */
export function createHttpApp(options: HttpAppOptions = {}): HttpApp {
  const checks: ReadinessCheck[] = [...(options.checks ?? [])];
  const app = new Hono();

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const problems: Record<string, string> = {};
    for (const check of checks) {
      try {
        const problem = check.notReady ? await check.notReady() : null;
        if (problem) problems[check.name] = problem;
      } catch (err) {
        problems[check.name] = err instanceof Error ? err.message : String(err);
      }
    }
    if (Object.keys(problems).length > 0) return c.json({ status: 'not_ready', problems }, 503);
    return c.json({ status: 'ready', checks: checks.map((check) => check.name) });
  });

  app.notFound((c) =>
    c.json(errorBody('not_found_error', `No route for ${c.req.method} ${c.req.path}.`), 404),
  );
  app.onError((err, c) => {
    options.logger?.error({ err, method: c.req.method, path: c.req.path }, 'unhandled HTTP error');
    return c.json(errorBody('api_error', 'Internal server error.'), 500);
  });

  return Object.assign(app, {
    addReadinessCheck(check: ReadinessCheck) {
      checks.push(check);
    },
  });
}

/** What `/metrics` serves (`createMetrics` in src/runtime/metrics.ts). */
export interface MetricsSource {
  render(): Promise<{ contentType: string; body: string }>;
}

/**
 * `GET /metrics` in Prometheus text format. Not behind the API key (scrapers rarely send
 * one); it carries counts and timings only, no session content or secrets.
 */
export function mountMetrics(app: Hono, metrics: MetricsSource): void {
  app.get('/metrics', async (c) => {
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { 'content-type': contentType });
  });
}

export interface StartHttpServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /**
   * API keys in force (`THREADHAND_API_KEYS`). With none, only a loopback bind is allowed:
   * the API would otherwise be open to the network.
   */
  apiKeys?: readonly string[];
  logger?: Logger;
  websocket?: { server: WebSocketServerLike };
}

export interface HttpServer {
  /** e.g. `http://127.0.0.1:4040` */
  readonly url: string;
  readonly port: number;
  readonly server: ServerType;
  /** Stops accepting, then ends open connections (SSE streams) after a short grace. */
  close(): Promise<void>;
}

export class BindRefusedError extends Error {
  readonly code = 'bind_refused';
  constructor(message: string) {
    super(message);
    this.name = 'BindRefusedError';
  }
}

/** True for 127.0.0.0/8, ::1, `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** Listens with @hono/node-server; refuses a non-loopback bind when no API key is configured. */
export async function startHttpServer(app: Hono, options: StartHttpServerOptions): Promise<HttpServer> {
  const keys = options.apiKeys ?? [];
  if (keys.length === 0 && !isLoopbackHost(options.host)) {
    throw new BindRefusedError(
      `Refusing to listen on ${options.host}: THREADHAND_API_KEYS is not set, so the API would be open to the network. ` +
        'Set THREADHAND_API_KEYS (comma-separated keys) or bind to 127.0.0.1.',
    );
  }
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve(
      { fetch: app.fetch, port: options.port, hostname: options.host, websocket: options.websocket },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;
  if (keys.length === 0) {
    options.logger?.warn(
      { url },
      'HTTP API without authentication: THREADHAND_API_KEYS is not set, listening on loopback only',
    );
  } else {
    options.logger?.info({ url, apiKeys: keys.length }, 'HTTP server listening; API requires an API key');
  }
  return {
    url,
    port: address.port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        const httpServer = server as import('node:http').Server;
        httpServer.close(() => resolve());
        httpServer.closeIdleConnections?.();
        // SSE streams never go idle: give them a moment to end on their own, then cut them.
        const timer = setTimeout(() => httpServer.closeAllConnections?.(), 1000);
        timer.unref();
      }),
  };
}
