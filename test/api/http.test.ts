import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BindRefusedError,
  createHttpApp,
  type HttpServer,
  isLoopbackHost,
  startHttpServer,
} from '../../src/api/http.js';

describe('shared HTTP app', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves /healthz, /readyz from registered checks, and an Anthropic-shaped 404', async () => {
    const app = createHttpApp();
    let problem: string | null = 'slack socket not connected';
    app.addReadinessCheck({ name: 'slack', notReady: () => problem });
    app.addReadinessCheck({ name: 'always' });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });

    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);

    const notReady = await fetch(`${server.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({
      status: 'not_ready',
      problems: { slack: 'slack socket not connected' },
    });

    problem = null;
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { status: string }).status).toBe('ready');

    const missing = await fetch(`${server.url}/nothing/here`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'No route for GET /nothing/here.' },
    });
  });

  it('refuses a non-loopback bind without API keys, allows it with one', async () => {
    const app = createHttpApp();
    await expect(startHttpServer(app, { host: '0.0.0.0', port: 0 })).rejects.toBeInstanceOf(BindRefusedError);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0, logger });
    expect(lines.join('')).toMatch(
      /without authentication: THREADHAND_API_KEYS is not set, listening on loopback only/,
    );
    await server.close();
    server = await startHttpServer(app, { host: '0.0.0.0', port: 0, apiKeys: ['k1'] });
    expect(server.port).toBeGreaterThan(0);
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('10.0.0.1')).toBe(false);
  });
});
