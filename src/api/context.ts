import type { VaultStore } from '../credentials/vault-types.js';
import type { Logger } from '../logging.js';
import type { FileStore, SessionResourceStore } from '../resources/types.js';
import type { Catalog, Runtime } from '../runtime/types.js';
import type { Stores } from '../store/types.js';
import type { PriceTable } from '../usage/prices.js';

/** What the API routes need; built once by `createApiRoutes`. */
export interface ApiDeps {
  runtime: Runtime;
  /** The YAML catalog (API-made agents/environments are read from `stores.resources`). */
  catalog: Catalog;
  stores: Stores;
  logger: Logger;
  vaults: VaultStore;
  /** SSE keep-alive ping interval. */
  keepAliveMs: number;
  /** Aborts every open event stream (server shutdown). */
  signal?: AbortSignal;
  /** Model prices for the session's `usage.list_cost`. */
  prices: PriceTable;
  /** Uploaded files (`/v1/files`). */
  files: FileStore;
  /** Files and repositories mounted into sessions' sandboxes. */
  sessionResources: SessionResourceStore;
  /** Largest accepted file upload, in bytes. */
  maxFileBytes: number;
  /** Session repositories may use file:// URLs (host repositories; THREADHAND_GIT_FILE_URLS). */
  allowFileRepositories: boolean;
}

export const nowIso = () => new Date().toISOString();
