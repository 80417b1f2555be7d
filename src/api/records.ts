/**
 * How API-made agents and environments are kept in the ResourceStore, and a Catalog that
 * layers them over the YAML-defined ones. Kinds: `agent` (one document per agent, every
 * version inside) and `environment`.
 */
import type { AgentConfig, EnvironmentConfig } from '../config/schema.js';
import type { AgentRecord, Catalog, EnvironmentRecord } from '../runtime/types.js';
import type { ResourceStore } from '../store/types.js';

export const AGENT_KIND = 'agent';
export const ENVIRONMENT_KIND = 'environment';

export interface StoredAgentVersion {
  version: number;
  config: AgentConfig;
  created_at: string;
}

/** An API-made agent: every version, oldest first. */
export interface StoredApiAgent {
  id: string;
  /** The name as the client gave it (`config.name` is its slug). */
  display_name: string;
  created_at: string;
  archived_at: string | null;
  versions: StoredAgentVersion[];
}

export interface StoredApiEnvironment {
  id: string;
  display_name: string;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
  config: EnvironmentConfig;
}

/** The runtime's view of one version (the newest when `version` is not given). */
export function agentRecordOf(stored: StoredApiAgent, version?: number): AgentRecord | undefined {
  const entry =
    version === undefined
      ? stored.versions[stored.versions.length - 1]
      : stored.versions.find((v) => v.version === version);
  if (!entry) return undefined;
  return {
    id: stored.id,
    version: entry.version,
    source: 'api',
    config: entry.config,
    created_at: stored.created_at,
    updated_at: entry.created_at,
    archived_at: stored.archived_at,
  };
}

export function environmentRecordOf(stored: StoredApiEnvironment): EnvironmentRecord {
  return {
    id: stored.id,
    source: 'api',
    config: stored.config,
    created_at: stored.created_at,
    updated_at: stored.updated_at,
    archived_at: stored.archived_at,
  };
}

/** A lower-case slug that satisfies the config `name` pattern, e.g. "Coding Assistant" -> "coding-assistant". */
export function slugName(name: string): string {
  return name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, 64);
}

/**
 * Contract: the base catalog's agents and environments (YAML), plus the API-made ones from
 * `resources`. An API id wins over a YAML name; archived API items are still resolvable by id
 * (callers check `archived_at`) but not listed.
 */
export function createLayeredCatalog(base: Catalog, resources: ResourceStore): Catalog {
  return {
    async getAgent(idOrName, version) {
      const stored = await resources.get<StoredApiAgent>(AGENT_KIND, idOrName);
      if (stored) return agentRecordOf(stored, version);
      return base.getAgent(idOrName, version);
    },
    async listAgents() {
      const api = (await resources.list<StoredApiAgent>(AGENT_KIND))
        .filter((a) => !a.archived_at)
        .map((a) => agentRecordOf(a))
        .filter((a): a is AgentRecord => a !== undefined);
      return [...(await base.listAgents()), ...api];
    },
    async getEnvironment(idOrName) {
      const stored = await resources.get<StoredApiEnvironment>(ENVIRONMENT_KIND, idOrName);
      if (stored) return environmentRecordOf(stored);
      return base.getEnvironment(idOrName);
    },
    async listEnvironments() {
      const api = (await resources.list<StoredApiEnvironment>(ENVIRONMENT_KIND))
        .filter((e) => !e.archived_at)
        .map(environmentRecordOf);
      return [...(await base.listEnvironments()), ...api];
    },
    defaultAgent: () => base.defaultAgent(),
    defaultEnvironment: () => base.defaultEnvironment(),
  };
}
