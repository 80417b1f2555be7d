/**
 * A real Threadhand (SQLite stores, harness, worker, runtime, fake model server) with the API
 * mounted on the shared HTTP app, and the official SDK pointed at it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { createHttpApp, type HttpServer, startHttpServer } from '../../src/api/http.js';
import { type ApiRoutes, createApiRoutes } from '../../src/api/index.js';
import { createLayeredCatalog } from '../../src/api/records.js';
import { AgentConfig, EnvironmentConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/logging.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import type { FakeScript } from '../fakes/anthropic/server.js';
import { startTestThreadhand, staticCatalog, type TestThreadhand } from '../helpers/threadhand.js';

export const API_KEY = 'th-test-key-1';

export interface ApiHarness {
  t: TestThreadhand;
  server: HttpServer;
  routes: ApiRoutes;
  client: Anthropic;
  /** A client with its own options (e.g. another key). */
  clientWith(options: ConstructorParameters<typeof Anthropic>[0]): Anthropic;
  close(): Promise<void>;
}

export async function startApi(
  options: { script?: FakeScript; keepAliveMs?: number; apiKeys?: string[]; maxBodyBytes?: number } = {},
): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'threadhand-api-'));
  const stores = createSqliteStores({ dir });
  const yaml = staticCatalog(
    [AgentConfig.parse({ name: 'helper', model: 'claude-test', system: 'You help.' })],
    [EnvironmentConfig.parse({ name: 'default' })],
  );
  const t = await startTestThreadhand({
    script: options.script ?? [],
    dir,
    stores,
    catalog: createLayeredCatalog(yaml, stores.resources),
  });
  const shutdown = new AbortController();
  const app = createHttpApp();
  const routes = createApiRoutes({
    runtime: t.th.runtime,
    catalog: yaml,
    stores,
    logger: silentLogger(),
    apiKeys: options.apiKeys ?? [API_KEY],
    keepAliveMs: options.keepAliveMs ?? 15_000,
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    signal: shutdown.signal,
  });
  app.route('/v1', routes);
  const server = await startHttpServer(app, {
    host: '127.0.0.1',
    port: 0,
    apiKeys: options.apiKeys ?? [API_KEY],
  });
  const clientWith = (o: ConstructorParameters<typeof Anthropic>[0]) =>
    new Anthropic({ baseURL: server.url, apiKey: API_KEY, maxRetries: 0, timeout: 20_000, ...o });
  return {
    t,
    server,
    routes,
    client: clientWith({}),
    clientWith,
    async close() {
      shutdown.abort();
      await server.close();
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
