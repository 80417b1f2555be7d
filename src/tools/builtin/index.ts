/**
 * The built-in toolset `agent_toolset_20260401` (bash, read, write, edit, glob, grep,
 * web_fetch, web_search), implemented once over the Sandbox port. Which tools are offered and
 * with which permission policy comes from the agent's toolset entry: a per-tool config wins
 * over `default_config`; tools are enabled and `always_allow` unless configured otherwise.
 * `web_search` is offered when a search backend is configured, or when the agent enables it
 * explicitly. It runs as Anthropic's server tool when `serverWebSearch` is on, the model
 * supports it and no approval is asked (the API runs server searches inside the request, so
 * `always_ask` cannot be honoured there); else through the backend, or answers with a clear
 * error saying none is configured.
 */
import {
  type AgentConfig,
  type AgentTool,
  type BuiltinToolName,
  type EnvironmentConfig,
  modelId,
} from '../../config/schema.js';
import type { EgressDenial } from '../../credentials/proxy.js';
import type { PermissionPolicy, Tool } from '../types.js';
import { bashTool } from './bash.js';
import { defineBuiltinTool } from './define.js';
import { editTool, readTool, writeTool } from './files.js';
import { globTool, grepTool } from './search.js';
import { type WebSearchBackend, webFetchTool, webSearchTool } from './web.js';
import { serverWebSearchTool, supportsServerWebSearch } from './web-search.js';

export { SHELL_STATE_PATH } from './bash.js';
export type { WebSearchBackend, WebSearchResult } from './web.js';
export {
  createJsonSearchBackend,
  isServerTool,
  type ServerTool,
  type WebSearchSettings,
  webSearchFromEnv,
} from './web-search.js';

export interface BuiltinToolsetOptions {
  agent: AgentConfig;
  environment: EnvironmentConfig;
  /** Backend for web_search; without one the tool is off (see above). */
  webSearch?: WebSearchBackend;
  /** Use Anthropic's server-side web search for models that support it (off unless given). */
  serverWebSearch?: { maxUses: number };
  /** fetch for web_fetch (default: global fetch). */
  fetch?: typeof fetch;
  /** web_fetch requests refused by the environment's allowlist (log them as events). */
  onEgressDenied?(denial: EgressDenial): void;
  /** bash default and maximum timeout (default 120 s / 600 s). */
  bashTimeoutMs?: number;
  bashMaxTimeoutMs?: number;
  /** Per-stream bash output cap in bytes (default 30 000). */
  maxOutputBytes?: number;
  /** Cap on text returned by grep and web_fetch (default 30 000 / 100 000 characters). */
  maxOutputChars?: number;
  webFetchMaxChars?: number;
  /** Bytes web_fetch downloads at most (default 5 MiB). */
  webFetchMaxBytes?: number;
  webFetchTimeoutMs?: number;
}

type AgentToolsetEntry = Extract<AgentTool, { type: 'agent_toolset_20260401' }>;

interface ResolvedConfig {
  enabled: boolean;
  explicit: boolean;
  permission: PermissionPolicy;
}

/** Enabled flag and permission of one built-in tool under the agent's toolset entry. */
export function resolveToolConfig(agent: AgentConfig, name: BuiltinToolName): ResolvedConfig | undefined {
  const toolset = agent.tools.find((t): t is AgentToolsetEntry => t.type === 'agent_toolset_20260401');
  if (!toolset) return undefined;
  const config = toolset.configs?.find((c) => c.name === name);
  const defaults = toolset.default_config;
  const enabled = config?.enabled ?? defaults?.enabled ?? true;
  const permission = config?.permission_policy?.type ?? defaults?.permission_policy?.type ?? 'always_allow';
  return { enabled, explicit: config?.enabled === true, permission };
}

/** The built-in tools this agent may use in this environment (empty without the toolset). */
export function createBuiltinToolset(options: BuiltinToolsetOptions): Tool[] {
  const maxOutputChars = options.maxOutputChars ?? 30_000;
  const specs = {
    bash: () =>
      defineBuiltin(
        bashTool({
          defaultTimeoutMs: options.bashTimeoutMs ?? 120_000,
          maxTimeoutMs: options.bashMaxTimeoutMs ?? 600_000,
          maxOutputBytes: options.maxOutputBytes ?? 30_000,
        }),
      ),
    read: () => defineBuiltin(readTool({ maxLines: 2000, maxLineChars: 2000 })),
    write: () => defineBuiltin(writeTool()),
    edit: () => defineBuiltin(editTool()),
    glob: () => defineBuiltin(globTool({ maxGlobResults: 200, maxOutputChars })),
    grep: () => defineBuiltin(grepTool({ maxGlobResults: 200, maxOutputChars })),
    web_fetch: () =>
      defineBuiltin(
        webFetchTool({
          environment: options.environment,
          fetch: options.fetch ?? globalThis.fetch,
          maxBytes: options.webFetchMaxBytes ?? 5 * 1024 * 1024,
          maxChars: options.webFetchMaxChars ?? 100_000,
          timeoutMs: options.webFetchTimeoutMs ?? 30_000,
          onEgressDenied: options.onEgressDenied,
        }),
      ),
    web_search: () => (permission: PermissionPolicy) =>
      options.serverWebSearch &&
      permission === 'always_allow' &&
      supportsServerWebSearch(modelId(options.agent))
        ? serverWebSearchTool(permission, options.serverWebSearch.maxUses)
        : defineBuiltinTool(webSearchTool(options.webSearch), permission),
  } satisfies Record<BuiltinToolName, () => (permission: PermissionPolicy) => Tool>;

  const tools: Tool[] = [];
  for (const name of Object.keys(specs) as BuiltinToolName[]) {
    const resolved = resolveToolConfig(options.agent, name);
    if (!resolved?.enabled) continue;
    if (name === 'web_search' && !options.webSearch && !resolved.explicit) continue;
    tools.push(specs[name]()(resolved.permission));
  }
  return tools;
}

function defineBuiltin<S extends Parameters<typeof defineBuiltinTool>[0]>(spec: S) {
  return (permission: PermissionPolicy): Tool => defineBuiltinTool(spec, permission);
}
