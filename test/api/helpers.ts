/**
 * A real Threadhand (SQLite stores, harness, worker, runtime, fake model server) with the API
 * mounted on the shared HTTP app, and the official SDK pointed at it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { Redis } from 'ioredis';
import { createHttpApp, type HttpServer, startHttpServer } from '../../src/api/http.js';
import { type ApiRoutes, createApiRoutes } from '../../src/api/index.js';
import { createLayeredCatalog } from '../../src/api/records.js';
import { AgentConfig, EnvironmentConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/logging.js';
import { createRedisStores, deleteRedisPrefix } from '../../src/store/redis/index.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import type { Stores } from '../../src/store/types.js';
import type { Tool } from '../../src/tools/types.js';
import type { FakeScript } from '../fakes/anthropic/server.js';
import { startTestThreadhand, staticCatalog, type TestThreadhand } from '../helpers/threadhand.js';

export const API_KEY = 'th-test-key-1';
export const REDIS_URL = process.env.THREADHAND_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

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
  options: {
    script?: FakeScript;
    keepAliveMs?: number;
    apiKeys?: string[];
    maxBodyBytes?: number;
    backend?: 'sqlite' | 'redis';
    /** Tools offered in every session (tests add instant or gated tools). */
    extraTools?: Tool[];
  } = {},
): Promise<ApiHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'threadhand-api-'));
  const redisPrefix = `th-api-test:${randomBytes(6).toString('hex')}:`;
  // Real Redis when asked (a missing server fails the test, never skips it).
  const stores: Stores =
    options.backend === 'redis'
      ? await createRedisStores({ url: REDIS_URL, prefix: redisPrefix, queue: { closeTimeoutMs: 5000 } })
      : createSqliteStores({ dir });
  const yaml = staticCatalog(
    [AgentConfig.parse({ name: 'helper', model: 'claude-test', system: 'You help.' })],
    [EnvironmentConfig.parse({ name: 'default' })],
  );
  const t = await startTestThreadhand({
    script: options.script ?? [],
    dir,
    stores,
    catalog: createLayeredCatalog(yaml, stores.resources),
    ...(options.extraTools ? { extraTools: options.extraTools } : {}),
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
      if (options.backend === 'redis') {
        const admin = new Redis(REDIS_URL);
        try {
          await deleteRedisPrefix(admin, redisPrefix);
        } finally {
          admin.disconnect();
        }
      }
    },
  };
}
