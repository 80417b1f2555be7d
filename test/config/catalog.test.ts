import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AGENT_KIND,
  ENVIRONMENT_KIND,
  type StoredApiAgent,
  type StoredApiEnvironment,
} from '../../src/api/records.js';
import { createCatalog } from '../../src/config/catalog.js';
import { loadConfigDir } from '../../src/config/load.js';
import { AgentConfig, EnvironmentConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/logging.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import type { Stores } from '../../src/store/types.js';

let dir: string;
let stores: Stores;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'threadhand-catalog-'));
  stores = createSqliteStores({ dir, logger: silentLogger() });
});
afterEach(async () => {
  await stores.close();
  await rm(dir, { recursive: true, force: true });
});

describe('catalog', () => {
  it('serves the shipped YAML as read-only version 1 with id = name', async () => {
    const { agents, environments } = await loadConfigDir('agents');
    const catalog = createCatalog({ agents, environments });
    expect(catalog.defaultAgent()).toBe('default');
    expect(catalog.defaultEnvironment()).toBe('default');
    const agent = await catalog.getAgent('default');
    expect(agent).toMatchObject({ id: 'default', version: 1, source: 'yaml', archived_at: null });
    expect(await catalog.getAgent('default', 2)).toBeUndefined();
    expect(await catalog.getEnvironment('e2b-example')).toMatchObject({
      id: 'e2b-example',
      source: 'yaml',
      config: { provider: 'e2b' },
    });
    expect(await catalog.getAgent('nope')).toBeUndefined();
  });

  it('layers API-made agents (every version) and environments from the ResourceStore', async () => {
    const yamlAgent = AgentConfig.parse({ name: 'default', model: 'claude-x' });
    const catalog = createCatalog({
      agents: [yamlAgent],
      environments: [EnvironmentConfig.parse({ name: 'default' })],
      resources: stores.resources,
    });
    const now = new Date().toISOString();
    const stored: StoredApiAgent = {
      id: 'agent_123',
      display_name: 'Reviewer',
      created_at: now,
      archived_at: null,
      versions: [
        { version: 1, config: AgentConfig.parse({ name: 'reviewer', model: 'claude-a' }), created_at: now },
        { version: 2, config: AgentConfig.parse({ name: 'reviewer', model: 'claude-b' }), created_at: now },
      ],
    };
    await stores.resources.put(AGENT_KIND, stored.id, stored);
    const env: StoredApiEnvironment = {
      id: 'env_1',
      display_name: 'Cloud',
      created_at: now,
      updated_at: now,
      archived_at: null,
      config: EnvironmentConfig.parse({ name: 'cloud', provider: 'e2b' }),
    };
    await stores.resources.put(ENVIRONMENT_KIND, env.id, env);

    expect((await catalog.getAgent('agent_123'))?.config.model).toBe('claude-b');
    expect((await catalog.getAgent('agent_123', 1))?.config.model).toBe('claude-a');
    expect((await catalog.listAgents()).map((a) => [a.id, a.source])).toEqual([
      ['default', 'yaml'],
      ['agent_123', 'api'],
    ]);
    expect((await catalog.getEnvironment('env_1'))?.config.provider).toBe('e2b');
    expect((await catalog.listEnvironments()).map((e) => e.id)).toEqual(['default', 'env_1']);
    expect((await catalog.getAgent('default'))?.source).toBe('yaml');
  });
});
