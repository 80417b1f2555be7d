/**
 * Builds a real Threadhand (SQLite stores, harness, worker, runtime) against the fake model
 * server, for tests. Nothing is mocked: the model client is the real SDK over HTTP/SSE.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AgentConfig,
  type AgentConfigInput,
  EnvironmentConfig,
  type EnvironmentConfigInput,
} from '../../src/config/schema.js';
import type { SessionEvent } from '../../src/events/schema.js';
import { createModelClient } from '../../src/harness/model/client.js';
import { silentLogger } from '../../src/logging.js';
import { createThreadhand, type Threadhand, type ThreadhandOptions } from '../../src/main.js';
import type { Catalog } from '../../src/runtime/types.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { type FakeScript, startFakeAnthropic } from '../fakes/anthropic/server.js';

export const TEST_API_KEY = 'sk-ant-test-0000';

export interface TestThreadhand {
  th: Threadhand;
  fake: Awaited<ReturnType<typeof startFakeAnthropic>>;
  dir: string;
  events(sessionId: string): Promise<SessionEvent[]>;
  close(): Promise<void>;
}

export async function startTestThreadhand(
  options: {
    script?: FakeScript;
    agents?: AgentConfigInput[];
    environments?: EnvironmentConfigInput[];
    dir?: string;
    start?: boolean;
  } & Partial<ThreadhandOptions> = {},
): Promise<TestThreadhand> {
  const fake = await startFakeAnthropic({ script: options.script ?? [], apiKey: TEST_API_KEY });
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'threadhand-test-'));
  const stores = options.stores ?? createSqliteStores({ dir });
  const agents = (options.agents ?? [{ name: 'test', model: 'claude-test' }]).map((a) =>
    AgentConfig.parse(a),
  );
  const environments = (options.environments ?? [{ name: 'default' }]).map((e) => EnvironmentConfig.parse(e));
  const catalog = options.catalog ?? staticCatalog(agents, environments);
  const th = await createThreadhand({
    logger: silentLogger(),
    http: false,
    toolSources: [],
    sandboxProviders: [],
    // Tests stop Threadhand mid-turn on purpose; production waits 20 s for running turns.
    drainGraceMs: 0,
    ...options,
    stores,
    catalog,
    model: options.model ?? createModelClient({ apiKey: TEST_API_KEY, baseURL: fake.url }),
    harness: { retryBaseMs: 20, ...options.harness },
  });
  if (options.start !== false) await th.start();
  return {
    th,
    fake,
    dir,
    events: (sessionId) => stores.log.read(sessionId),
    async close() {
      await th.stop();
      await stores.close();
      await fake.close();
      if (!options.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails after `timeoutMs`. */
export async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export const text = (t: string) => ({
  type: 'user.message' as const,
  content: [{ type: 'text' as const, text: t }],
});

/** A catalog over fixed configs (the YAML catalog without files). */
export function staticCatalog(agents: AgentConfig[], environments: EnvironmentConfig[]): Catalog {
  const at = new Date(0).toISOString();
  const agent = (config: AgentConfig) => ({
    id: config.name,
    version: 1,
    source: 'yaml' as const,
    config,
    created_at: at,
    updated_at: at,
    archived_at: null,
  });
  const env = (config: EnvironmentConfig) => ({
    id: config.name,
    source: 'yaml' as const,
    config,
    created_at: at,
    updated_at: at,
    archived_at: null,
  });
  return {
    getAgent: async (id) => {
      const c = agents.find((a) => a.name === id);
      return c ? agent(c) : undefined;
    },
    listAgents: async () => agents.map(agent),
    getEnvironment: async (id) => {
      const c = environments.find((e) => e.name === id);
      return c ? env(c) : undefined;
    },
    listEnvironments: async () => environments.map(env),
    defaultAgent: () => agents[0]?.name ?? 'default',
    defaultEnvironment: () => environments[0]?.name ?? 'default',
  };
}
