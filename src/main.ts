/**
 * Composition root: reads configuration, builds the stores, catalog, runtime, harness,
 * worker and front doors, and starts the roles this process plays. Nothing else in the
 * code base constructs these pieces or reads process.env.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHttpApp, type HttpApp, type HttpServer, mountMetrics, startHttpServer } from './api/http.js';
import { mountApi, parseApiKeys } from './api/index.js';
import { mountWebConsole } from './chat/web/serve.js';
import { modelId } from './config/schema.js';
import {
  type CredentialBroker,
  createCredentialBroker,
  createCredentialInjector,
  createEncryptedVaultStore,
  createSandboxCredentials,
  loadOrCreateCa,
  loadSecretKey,
  type VaultStore,
} from './credentials/index.js';
import { createEgressProxy, type EgressDenial, type EgressProxy } from './credentials/proxy.js';
import type { NewEvent } from './events/schema.js';
import { createHarness } from './harness/harness.js';
import { createModelClient, type ModelClient } from './harness/model/client.js';
import { createToolsetFactory, type ToolSource } from './harness/toolset.js';
import type { Harness, HarnessHooks, SandboxHandle, SessionContext } from './harness/types.js';
import { createLogger, type Logger } from './logging.js';
import { createFileStore, createResourceMounter, createSessionResourceStore } from './resources/index.js';
import { createMetrics, type Metrics, storeReadiness, withObservedLog } from './runtime/metrics.js';
import { createRuntime } from './runtime/runtime.js';
import type { Catalog, Runtime, Service } from './runtime/types.js';
import { createWorker } from './runtime/worker.js';
import type { SandboxProvider } from './sandbox/types.js';
import { createSqliteStores } from './store/sqlite/index.js';
import type { Stores } from './store/types.js';
import type { Tool } from './tools/types.js';
import { checkBudget, checkToolBudget } from './usage/budget.js';
import { createOtelExport } from './usage/otel.js';
import { loadPriceTable, type PriceTable } from './usage/prices.js';

export type Role = 'all' | 'front' | 'worker';

export interface ThreadhandOptions {
  /** Environment variables (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  role?: Role;
  /** Data directory (default `THREADHAND_DATA_DIR` or `./.threadhand`). */
  dataDir?: string;
  /** Directory holding `*.yaml` agents and `environments/*.yaml` (default `./agents`). */
  agentsDir?: string;
  logger?: Logger;
  /** Inject parts instead of building them from the environment (tests, embedding). */
  stores?: Stores;
  catalog?: Catalog;
  model?: ModelClient;
  /** Extra tools offered in every session (tests add instant tools). */
  extraTools?: Tool[];
  /** Extra tool sources (built-ins, MCP); the defaults are added by the composition below. */
  toolSources?: ToolSource[];
  sandboxProviders?: SandboxProvider[];
  hooks?: HarnessHooks;
  /** Harness tuning: retry timings, lease TTL. */
  harness?: { retryBaseMs?: number; retryMaxMs?: number; maxRetries?: number; leaseTtlMs?: number };
  /** Web console at `/` (built assets, default `<package root>/dist/web`); false = not mounted. */
  webConsole?: { assetsDir?: string } | false;
  /** HTTP listener; false = none (CLI one-shot runs). */
  http?: { host?: string; port?: number } | false;
  /** Sessions one worker runs at once (default `THREADHAND_WORKER_CONCURRENCY`, else 64). */
  workerConcurrency?: number;
  /** On stop, how long running turns may take to finish before they are handed back (default 20 s). */
  drainGraceMs?: number;
}

export interface Threadhand {
  readonly runtime: Runtime;
  readonly harness: Harness;
  readonly stores: Stores;
  readonly catalog: Catalog;
  readonly logger: Logger;
  /** Model prices for cost reports and budgets. */
  readonly prices: PriceTable;
  /** Prometheus metrics of this instance (served at /metrics). */
  readonly metrics: Metrics;
  readonly app: HttpApp;
  readonly services: Service[];
  readonly sandboxProviders: SandboxProvider[];
  /** Vaults and credentials, secrets encrypted at rest (src/credentials). */
  readonly vaults: VaultStore;
  /** Which credentials sessions get; `resolveSecret` serves `vault:` references. */
  readonly credentials: CredentialBroker;
  /** Set once `start()` has bound the HTTP listener. */
  http?: HttpServer;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A tool source that keeps connections between runs (MCP) and closes them on stop. */
type McpToolSourceLike = ToolSource & { closeAll?(): Promise<void> };

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** Builds Threadhand from options and the environment. Does not start anything. */
export async function createThreadhand(options: ThreadhandOptions = {}): Promise<Threadhand> {
  const env = options.env ?? process.env;
  const role = options.role ?? 'all';
  const logger = options.logger ?? createLogger({ pretty: process.stderr.isTTY });
  const dataDir = resolve(options.dataDir ?? env.THREADHAND_DATA_DIR ?? '.threadhand');
  const agentsDir = resolve(options.agentsDir ?? env.THREADHAND_AGENTS_DIR ?? 'agents');

  // Metrics are fed by the log itself: every append of this process passes the observer.
  const metrics = createMetrics({
    logger,
    log: { listSessions: (o) => stores.log.listSessions(o) },
    prices: () => prices,
    modelFor: async (sessionId) => {
      const session = await stores.log.getSession(sessionId);
      const agent = session ? await catalog.getAgent(session.agent_id) : undefined;
      return agent ? modelId(agent.config) : undefined;
    },
  });
  const stores = withObservedLog(
    options.stores ?? (await createDefaultStores(env, dataDir, logger)),
    metrics,
  );
  const catalog = options.catalog ?? (await loadDefaultCatalog(agentsDir, stores));

  const model =
    options.model ??
    (() => {
      const apiKey = env.ANTHROPIC_API_KEY;
      const authToken = env.ANTHROPIC_AUTH_TOKEN;
      if (!apiKey && !authToken && role !== 'front') {
        throw new ConfigurationError(
          'ANTHROPIC_API_KEY is not set: export your Anthropic API key (or set ANTHROPIC_BASE_URL and a key for a compatible server) and run again.',
        );
      }
      return createModelClient({ apiKey, authToken, baseURL: env.ANTHROPIC_BASE_URL });
    })();

  // Hands report what happens outside a harness run (E2B pauses, egress denials) into the log.
  const record = (sessionId: string, event: NewEvent) => {
    stores.log
      .append(sessionId, [event])
      .catch((error: unknown) => logger.warn({ sessionId, err: error }, 'could not record a sandbox event'));
  };
  const onEgressDenied = (denial: EgressDenial) => {
    logger.warn({ sessionId: denial.sessionId, host: denial.host, reason: denial.reason }, 'egress denied');
    record(denial.sessionId, { type: 'session.egress_denied', host: denial.host, reason: denial.reason });
  };
  // Credentials (src/credentials): encrypted vaults, placeholders in sandboxes, injection by the
  // egress proxy, which terminates TLS for sessions holding credentials.
  // Loaded (or generated) only when a secret is first stored or read.
  let vaultKey: Buffer | undefined;
  const secretKey = () => (vaultKey ??= loadSecretKey({ env, dataDir, logger }));
  const vaults = createEncryptedVaultStore(stores.resources, secretKey);
  const credentials = createCredentialBroker({ vaults, secretKey, logger });
  const ca = loadOrCreateCa(join(dataDir, 'ca'));
  // Upstream TLS is verified against Node's store plus NODE_EXTRA_CA_CERTS as given to Threadhand.
  const upstreamCa = env.NODE_EXTRA_CA_CERTS ? [readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8')] : undefined;
  const injector = createCredentialInjector({
    broker: credentials,
    ca,
    logger,
    onDenied: onEgressDenied,
    upstreamCa,
  });
  const egressProxy = createEgressProxy({
    logger,
    onDenied: onEgressDenied,
    rewriteRequest: injector.rewriteRequest,
    handleConnect: injector.handleConnect,
  });
  const sandboxCredentials = createSandboxCredentials({
    broker: credentials,
    ca,
    forceProxy: env.THREADHAND_SANDBOX_NETWORK === 'host',
  });
  const sandboxProviders =
    options.sandboxProviders ??
    (await createDefaultSandboxProviders(env, dataDir, logger, stores, record, egressProxy));
  const providerFor = (ctx: SessionContext): SandboxProvider => {
    const provider = sandboxProviders.find((p) => p.name === ctx.environment.provider);
    if (!provider) {
      throw new ConfigurationError(
        `Environment "${ctx.environment.name}" uses provider "${ctx.environment.provider}", which is not available in this process.`,
      );
    }
    return provider;
  };

  const sources: ToolSource[] = [
    ...(options.toolSources ?? (await defaultToolSources(logger, onEgressDenied, credentials, env))),
  ];
  if (options.extraTools && options.extraTools.length > 0) {
    const extra = options.extraTools;
    sources.push(async () => ({ tools: extra }));
  }

  const prices = loadPriceTable(env.THREADHAND_PRICES_FILE);
  const otel = createOtelExport(env, logger);
  const hooks: HarnessHooks = {
    beforeModelCall: async (ctx, events) => checkBudget(ctx, events, prices),
    beforeToolCall: async (ctx, events, toolUseId) => checkToolBudget(ctx, events, toolUseId),
    ...(otel
      ? {
          afterRun: (ctx, events) =>
            otel
              .exportRun(ctx, events)
              .catch((error: unknown) => logger.warn({ err: error }, 'OTLP export failed')),
        }
      : {}),
    ...options.hooks,
  };

  // Session resources (files, repositories) go into the sandbox when a tool first needs it.
  const resources = createResourceMounter({
    files: createFileStore(stores.resources),
    resources: createSessionResourceStore(stores.resources),
    logger,
  });
  const withResources =
    (sandboxFor: (ctx: SessionContext) => Promise<SandboxHandle>) =>
    async (ctx: SessionContext): Promise<SandboxHandle> => {
      const handle = await sandboxFor(ctx);
      await resources.mountPending(ctx.session.id, handle.sandbox);
      return handle;
    };
  const harness = createHarness({
    log: stores.log,
    leases: stores.leases,
    queue: stores.queue,
    catalog,
    model,
    logger,
    toolsetFor: createToolsetFactory(sources),
    sandboxFor: withResources(async (ctx): Promise<SandboxHandle> => {
      const provider = providerFor(ctx);
      // Only the local provider's egress goes through Threadhand's proxy (credential injection).
      const prepared = provider.name === 'local' ? await sandboxCredentials.prepare(ctx) : undefined;
      const recordActiveTime = provider.activeTimeRecordedBy === 'harness';
      const existing = provider.peek(ctx.session.id);
      if (existing) return { sandbox: prepared ? await prepared.wrap(existing) : existing, recordActiveTime };
      const before = provider.provisionCount();
      const started = performance.now();
      const raw = await provider.get(ctx.session.id, prepared?.environment ?? ctx.environment);
      const sandbox = prepared ? await prepared.wrap(raw) : raw;
      const operation = provider.provisionCount() > before ? 'provision' : 'reconnect';
      // E2B sandboxes carry the provider's own id (what a replica reconnects by).
      const sandboxId = (raw as { sandboxId?: string }).sandboxId ?? raw.id;
      return {
        sandbox,
        recordActiveTime,
        operation: {
          operation,
          provider: provider.name,
          duration_ms: Math.round(performance.now() - started),
          sandbox_id: sandboxId,
        },
      };
    }),
    hooks,
    ...options.harness,
  });

  const runtime = createRuntime({ stores, catalog, logger, prices, sandboxes: () => sandboxProviders });
  const app = createHttpApp({ logger });
  app.addReadinessCheck(storeReadiness(stores.log));
  mountMetrics(app, metrics);
  // The Managed-Agents-compatible API under /v1 (src/api); its event streams end on stop().
  const apiShutdown = new AbortController();
  if (role !== 'worker') {
    mountApi(app, {
      runtime,
      catalog,
      stores,
      logger,
      apiKeys: parseApiKeys(env.THREADHAND_API_KEYS),
      signal: apiShutdown.signal,
      prices,
      vaults,
      allowFileRepositories: env.THREADHAND_GIT_FILE_URLS === 'true',
    });
    if (options.http !== false && options.webConsole !== false)
      mountWebConsole(app, { logger, ...options.webConsole });
  }
  const services: Service[] = [];
  if (role !== 'front') {
    services.push(
      createWorker({
        stores,
        harness,
        logger,
        concurrency: options.workerConcurrency ?? (Number(env.THREADHAND_WORKER_CONCURRENCY) || 64),
        drainGraceMs: options.drainGraceMs,
      }),
    );
  }
  if (role !== 'worker' && env.DISCORD_TOKEN?.trim()) {
    const discord = await import('./chat/discord/index.js');
    const settings = discord.discordSettingsFromEnv(env);
    if (settings)
      services.push(discord.createDiscordService({ runtime, logger, kv: stores.kv, ...settings }));
  }
  if (role !== 'worker' && env.SLACK_BOT_TOKEN?.trim()) {
    const slack = await import('./chat/slack/index.js');
    const settings = slack.slackSettingsFromEnv(env, await slack.readSlackConfigFile(env.SLACK_CONFIG_FILE));
    if (settings) services.push(slack.createSlackService({ runtime, logger, app, ...settings }));
  }

  const threadhand: Threadhand = {
    runtime,
    harness,
    stores,
    catalog,
    logger,
    prices,
    metrics,
    app,
    services,
    sandboxProviders,
    vaults,
    credentials,
    async start() {
      for (const service of services) {
        app.addReadinessCheck(service);
        await service.start();
        metrics.addChatSource(service);
        logger.info({ service: service.name }, 'started');
      }
      // A worker listens only when given a port: /healthz, /readyz and /metrics, no API.
      if (options.http !== false && (role !== 'worker' || options.http !== undefined)) {
        const host = options.http?.host ?? env.THREADHAND_HOST ?? '127.0.0.1';
        const port = options.http?.port ?? Number(env.THREADHAND_PORT ?? 4040);
        const apiKeys = (env.THREADHAND_API_KEYS ?? '')
          .split(',')
          .map((k) => k.trim())
          .filter(Boolean);
        threadhand.http = await startHttpServer(app, { host, port, apiKeys, logger });
        logger.info({ url: threadhand.http.url }, 'listening');
      }
    },
    async stop() {
      const stopService = (service: Service) =>
        service
          .stop()
          .catch((error: unknown) => logger.warn({ service: service.name, err: error }, 'stop failed'));
      // Stop taking work first: chat front doors, then the HTTP listener (new connections are
      // refused, live SSE streams end so clients reconnect elsewhere). Only then does the
      // worker drain, so nothing is accepted that no one will run.
      const workers = services.filter((s) => s.name === 'worker');
      for (const service of services.filter((s) => s.name !== 'worker').reverse()) await stopService(service);
      apiShutdown.abort();
      const httpClosed = threadhand.http?.close();
      for (const service of workers) await stopService(service);
      await httpClosed;
      // MCP connections are kept per session between runs; close them all now.
      for (const source of sources) await (source as McpToolSourceLike).closeAll?.().catch(() => undefined);
      for (const provider of sandboxProviders) await provider.close().catch(() => undefined);
      await otel?.shutdown().catch(() => undefined);
      injector.close();
      await egressProxy.close();
      if (!options.stores) await stores.close();
    },
  };
  return threadhand;
}

async function createDefaultStores(env: NodeJS.ProcessEnv, dataDir: string, logger: Logger): Promise<Stores> {
  if (env.THREADHAND_REDIS_URL) {
    const { createRedisStores } = await import('./store/redis/index.js');
    return createRedisStores({
      url: env.THREADHAND_REDIS_URL,
      prefix: env.THREADHAND_REDIS_PREFIX ?? 'threadhand:',
      logger,
    });
  }
  return createSqliteStores({ dir: dataDir, logger });
}

async function loadDefaultCatalog(agentsDir: string, stores: Stores): Promise<Catalog> {
  const { loadConfigDir } = await import('./config/load.js');
  const { createCatalog } = await import('./config/catalog.js');
  const { agents, environments } = await loadConfigDir(agentsDir);
  return createCatalog({ agents, environments, resources: stores.resources });
}

async function createDefaultSandboxProviders(
  env: NodeJS.ProcessEnv,
  dataDir: string,
  logger: Logger,
  stores: Stores,
  record: (sessionId: string, event: NewEvent) => void,
  proxy: EgressProxy,
): Promise<SandboxProvider[]> {
  const { createLocalSandboxProvider } = await import('./sandbox/local/index.js');
  const { createE2BSandboxProvider, sessionLogSandboxRecord } = await import('./sandbox/e2b/index.js');
  // Sandboxes on the host network could reach Threadhand's own API and Redis on loopback;
  // by default they go out through the egress proxy, which refuses private addresses.
  const unrestrictedNetwork = env.THREADHAND_SANDBOX_NETWORK === 'host' ? 'host' : 'proxy';
  const local = createLocalSandboxProvider({ dataDir, logger, proxy, unrestrictedNetwork });
  const e2b = createE2BSandboxProvider({
    logger,
    apiKey: env.E2B_API_KEY,
    domain: env.E2B_DOMAIN,
    apiUrl: env.E2B_API_URL,
    sandboxUrl: env.E2B_SANDBOX_URL,
    ...sessionLogSandboxRecord(stores.log, stores.kv),
    onEvent: (event) => {
      const operation = {
        resumed: 'resume',
        paused: 'pause',
        recreated: 'recreate',
        killed: 'destroy',
      } as const;
      if (event.type === 'created' || event.type === 'reconnected') return; // the harness records these
      record(event.sessionId, {
        type: 'span.sandbox_operation',
        operation: operation[event.type],
        provider: 'e2b',
        sandbox_id: event.sandboxId,
        duration_ms: 0,
        is_error: false,
        ...(event.message ? { message: event.message } : {}),
        ...(event.activeSeconds !== undefined ? { active_seconds: event.activeSeconds } : {}),
      });
    },
  });
  return [local, e2b];
}

async function defaultToolSources(
  logger: Logger,
  onEgressDenied: (denial: EgressDenial) => void,
  credentials: CredentialBroker,
  env: NodeJS.ProcessEnv,
): Promise<ToolSource[]> {
  const { createBuiltinToolset, webSearchFromEnv } = await import('./tools/builtin/index.js');
  const webSearch = webSearchFromEnv(env);
  const { createMcpToolSource } = await import('./mcp/tool-source.js');
  return [
    async (ctx) => ({
      tools: createBuiltinToolset({
        agent: ctx.agent,
        environment: ctx.environment,
        onEgressDenied,
        ...webSearch,
      }),
    }),
    createMcpToolSource({
      logger,
      resolveSecret: (reference, { session, agent, environment }) =>
        credentials.resolveSecret(reference, { session, agent, environment }),
    }),
  ];
}
