/**
 * The Managed-Agents-compatible HTTP API (`/v1/...`): the official `@anthropic-ai/sdk` beta
 * client works against Threadhand by changing `baseURL`. See docs/api.md.
 */
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { VaultStore } from '../credentials/vault-types.js';
import type { Logger } from '../logging.js';
import { createFileStore, createSessionResourceStore } from '../resources/store.js';
import type { Catalog, Runtime } from '../runtime/types.js';
import type { Stores } from '../store/types.js';
import { DEFAULT_PRICES, type PriceTable } from '../usage/prices.js';
import { apiKeyAuth } from './auth.js';
import type { ApiDeps } from './context.js';
import { ApiError, createErrorHandler } from './errors.js';
import { agentRoutes } from './routes/agents.js';
import { environmentRoutes } from './routes/environments.js';
import { eventRoutes, type StreamCounter } from './routes/events.js';
import { fileRoutes } from './routes/files.js';
import { sessionResourceRoutes } from './routes/session-resources.js';
import { sessionRoutes } from './routes/sessions.js';
import { vaultRoutes } from './routes/vaults.js';
import { createSessionView } from './session-wire.js';
import { createPlainVaultStore } from './vault-store.js';

export { apiKeyAuth, parseApiKeys } from './auth.js';
export { ApiError } from './errors.js';
export { createHttpApp, type HttpApp, type HttpServer, isLoopbackHost, startHttpServer } from './http.js';
export { createLayeredCatalog } from './records.js';
export { createPlainVaultStore } from './vault-store.js';

export interface ApiRoutesOptions {
  runtime: Runtime;
  /** The YAML catalog; API-made agents/environments live in `stores.resources`. */
  catalog: Catalog;
  stores: Stores;
  logger: Logger;
  /** Keys from `THREADHAND_API_KEYS`; empty = no auth (loopback-only bind). */
  apiKeys: readonly string[];
  /** Where vaults and credentials live. Default: `createPlainVaultStore(stores.resources)`. */
  vaults?: VaultStore;
  /** SSE keep-alive ping interval. Default 15 s. */
  keepAliveMs?: number;
  /** Model prices for `usage.list_cost` (default: the shipped table). */
  prices?: PriceTable;
  /** Aborting it ends every open event stream (shutdown). */
  signal?: AbortSignal;
  /** Largest accepted request body. Default 32 MiB (images travel base64 in messages). */
  maxBodyBytes?: number;
  /** Largest accepted file upload (`POST /v1/files`). Default 16 MiB. */
  maxFileBytes?: number;
  /** Allow file:// repository resources (cloned from the host's disk). Default false. */
  allowFileRepositories?: boolean;
}

export type ApiRoutes = Hono & {
  /** Event streams currently open (for tests and metrics). */
  openStreams(): number;
};

/** The `/v1` routes; mount with `app.route('/v1', createApiRoutes(...))`. */
export function createApiRoutes(options: ApiRoutesOptions): ApiRoutes {
  const deps: ApiDeps = {
    runtime: options.runtime,
    catalog: options.catalog,
    stores: options.stores,
    logger: options.logger.child({ component: 'api' }),
    vaults: options.vaults ?? createPlainVaultStore(options.stores.resources),
    keepAliveMs: options.keepAliveMs ?? 15_000,
    prices: options.prices ?? DEFAULT_PRICES,
    files: createFileStore(options.stores.resources),
    sessionResources: createSessionResourceStore(options.stores.resources),
    maxFileBytes: options.maxFileBytes ?? 16 * 1024 * 1024,
    allowFileRepositories: options.allowFileRepositories ?? false,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const streams: StreamCounter = { open: 0 };
  const view = createSessionView(deps);
  const api = new Hono();
  api.onError(createErrorHandler(deps.logger));
  api.use('*', async (c, next) => {
    // The SDK exposes it as `err.requestID`; it ties a client report to the server log.
    c.header('request-id', `req_${randomBytes(12).toString('hex')}`);
    await next();
  });
  api.use('*', apiKeyAuth(options.apiKeys));
  api.use(
    '*',
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 32 * 1024 * 1024,
      onError: () => {
        throw new ApiError(413, 'request_too_large', 'Request body too large.');
      },
    }),
  );
  api.route('/agents', agentRoutes(deps));
  api.route('/environments', environmentRoutes(deps));
  api.route('/sessions', sessionResourceRoutes(deps));
  api.route('/sessions', sessionRoutes(deps, view));
  api.route('/sessions', eventRoutes(deps, streams));
  api.route('/vaults', vaultRoutes(deps));
  api.route('/files', fileRoutes(deps));
  return Object.assign(api, { openStreams: () => streams.open });
}

/** Mounts the API under `/v1` on the shared app. */
export function mountApi(app: Hono, options: ApiRoutesOptions): ApiRoutes {
  const routes = createApiRoutes(options);
  app.route('/v1', routes);
  return routes;
}
