/**
 * The Catalog: YAML-defined agents and environments (id = name, version 1, read-only),
 * layered under the API-made ones kept in the ResourceStore (kinds `agent`, every version in
 * one document, and `environment`; the storage shape is owned by `src/api/records.ts`).
 */
import { createLayeredCatalog } from '../api/records.js';
import type { AgentRecord, Catalog, EnvironmentRecord } from '../runtime/types.js';
import type { ResourceStore } from '../store/types.js';
import type { AgentConfig, EnvironmentConfig } from './schema.js';

export interface CatalogOptions {
  agents: AgentConfig[];
  environments: EnvironmentConfig[];
  /** API-made agents and environments; omit for a YAML-only catalog. */
  resources?: ResourceStore;
  /** Name of the default agent (default: `default`, else the first agent). */
  defaultAgent?: string;
  /** Name of the default environment (default: `default`, else the first environment). */
  defaultEnvironment?: string;
  /** Timestamp shown for YAML items (default: when the catalog was built). */
  loadedAt?: string;
}

function pickDefault(names: string[], wanted: string | undefined): string {
  if (wanted) return wanted;
  if (names.includes('default')) return 'default';
  return names[0] ?? 'default';
}

/** A catalog of fixed YAML items only. */
export function createYamlCatalog(options: Omit<CatalogOptions, 'resources'>): Catalog {
  const at = options.loadedAt ?? new Date().toISOString();
  const agents = new Map<string, AgentRecord>(
    options.agents.map((config) => [
      config.name,
      {
        id: config.name,
        version: 1,
        source: 'yaml',
        config,
        created_at: at,
        updated_at: at,
        archived_at: null,
      },
    ]),
  );
  const environments = new Map<string, EnvironmentRecord>(
    options.environments.map((config) => [
      config.name,
      { id: config.name, source: 'yaml', config, created_at: at, updated_at: at, archived_at: null },
    ]),
  );
  const defaultAgent = pickDefault([...agents.keys()], options.defaultAgent);
  const defaultEnvironment = pickDefault([...environments.keys()], options.defaultEnvironment);
  return {
    async getAgent(idOrName, version) {
      const record = agents.get(idOrName);
      if (!record || (version !== undefined && version !== record.version)) return undefined;
      return record;
    },
    async listAgents() {
      return [...agents.values()];
    },
    async getEnvironment(idOrName) {
      return environments.get(idOrName);
    },
    async listEnvironments() {
      return [...environments.values()];
    },
    defaultAgent: () => defaultAgent,
    defaultEnvironment: () => defaultEnvironment,
  };
}

/** YAML items, plus API-made ones from `resources` when given (an API id wins over a YAML name). */
export function createCatalog(options: CatalogOptions): Catalog {
  const yaml = createYamlCatalog(options);
  return options.resources ? createLayeredCatalog(yaml, options.resources) : yaml;
}
