/**
 * Agent and environment configuration. Field names follow the official SDK's
 * `BetaManagedAgents*` params (agents) and `BetaEnvironment` (environments), so a YAML file
 * and an API body describe the same thing. Threadhand additions are marked.
 */
import { z } from 'zod';

const PolicyObject = z.object({ type: z.enum(['always_allow', 'always_ask']) });
/** `always_ask` or `{type: always_ask}`; both normalise to the object form of the SDK. */
export const PermissionPolicy = z
  .union([z.enum(['always_allow', 'always_ask']), PolicyObject])
  .transform((p) => (typeof p === 'string' ? { type: p } : p));

export const BUILTIN_TOOL_NAMES = [
  'bash',
  'read',
  'write',
  'edit',
  'glob',
  'grep',
  'web_fetch',
  'web_search',
] as const;
export type BuiltinToolName = (typeof BUILTIN_TOOL_NAMES)[number];

const ToolConfig = z.strictObject({
  name: z.enum(BUILTIN_TOOL_NAMES),
  type: z.enum(BUILTIN_TOOL_NAMES).optional(),
  enabled: z.boolean().nullish(),
  permission_policy: PermissionPolicy.nullish(),
});

const DefaultConfig = z.strictObject({
  enabled: z.boolean().nullish(),
  permission_policy: PermissionPolicy.nullish(),
});

export const AgentToolset = z.strictObject({
  type: z.literal('agent_toolset_20260401'),
  configs: z.array(ToolConfig).optional(),
  default_config: DefaultConfig.nullish(),
});

export const McpToolset = z.strictObject({
  type: z.literal('mcp_toolset'),
  mcp_server_name: z.string().min(1),
  configs: z
    .array(
      z.strictObject({
        name: z.string(),
        enabled: z.boolean().nullish(),
        permission_policy: PermissionPolicy.nullish(),
      }),
    )
    .optional(),
  default_config: DefaultConfig.nullish(),
});

export const CustomTool = z.strictObject({
  type: z.literal('custom'),
  name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, 'use 1-64 letters, digits, "_" or "-"'),
  description: z.string().min(1, 'describe what the tool does; the model reads it'),
  input_schema: z
    .object({ type: z.literal('object') })
    .loose()
    .describe('JSON Schema of the tool input (type: object)'),
});

export const AgentTool = z.discriminatedUnion('type', [AgentToolset, McpToolset, CustomTool]);
export type AgentTool = z.infer<typeof AgentTool>;

export const McpServer = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('url'),
    name: z.string().min(1),
    url: z.url(),
    /** Threadhand: headers, values may be `vault:<vault>/<SECRET_NAME>` references. */
    headers: z.record(z.string(), z.string()).optional(),
  }),
  /** Threadhand: a local MCP server started as a child process (harness-side). */
  z.strictObject({
    type: z.literal('stdio'),
    name: z.string().min(1),
    command: z.string().min(1),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).optional(),
  }),
]);
export type McpServer = z.infer<typeof McpServer>;

export const ModelConfig = z.union([
  z.string().min(1),
  z.object({
    id: z.string().min(1),
    effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
    speed: z.enum(['standard', 'fast']).nullish(),
  }),
]);

/** Threadhand: limits that end a turn with `stop_reason: budget_reached`. */
export const BudgetConfig = z.strictObject({
  max_tokens: z.number().int().positive().optional(),
  max_cost_usd: z.number().positive().optional(),
  max_tool_calls: z.number().int().positive().optional(),
  max_wall_seconds: z.number().positive().optional(),
});

export const AgentConfig = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" or "_"'),
  description: z.string().nullish(),
  model: ModelConfig,
  system: z.string().nullish(),
  tools: z.array(AgentTool).default([]),
  mcp_servers: z.array(McpServer).default([]),
  metadata: z.record(z.string(), z.string()).default({}),
  /** Threadhand: output token cap per model request. */
  max_tokens: z.number().int().positive().default(8192),
  /** Threadhand: extended thinking budget (tokens); off when absent. */
  thinking_budget_tokens: z.number().int().min(1024).optional(),
  /**
   * Threadhand: context compaction (see README "Long sessions"). On by default, so a long
   * session is summarised before it reaches a 200k-token window; `enabled: false` turns it off.
   */
  compaction: z
    .strictObject({
      enabled: z.boolean().default(true),
      threshold_tokens: z.number().int().positive().default(150_000),
      keep_recent_turns: z.number().int().positive().default(4),
    })
    .prefault({}),
  budget: BudgetConfig.optional(),
  /** Threadhand: vault names whose credentials sessions of this agent get. */
  vaults: z.array(z.string()).default([]),
});
export type AgentConfig = z.infer<typeof AgentConfig>;
export type AgentConfigInput = z.input<typeof AgentConfig>;

export const Networking = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('unrestricted') }),
  z.strictObject({
    type: z.literal('limited'),
    allowed_hosts: z.array(z.string().min(1)).default([]),
    allow_mcp_servers: z.boolean().default(false),
    allow_package_managers: z.boolean().default(false),
  }),
]);
export type Networking = z.infer<typeof Networking>;

export const Packages = z.strictObject({
  apt: z.array(z.string()).default([]),
  npm: z.array(z.string()).default([]),
  pip: z.array(z.string()).default([]),
  cargo: z.array(z.string()).default([]),
  gem: z.array(z.string()).default([]),
  go: z.array(z.string()).default([]),
});

export const EnvironmentConfig = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, "-" or "_"'),
  description: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).default({}),
  /** Threadhand: where the hands run. */
  provider: z.enum(['local', 'e2b']).default('local'),
  networking: Networking.default({ type: 'unrestricted' }),
  packages: Packages.default({ apt: [], npm: [], pip: [], cargo: [], gem: [], go: [] }),
  /** Threadhand: E2B options (provider e2b). */
  e2b: z
    .strictObject({
      template: z.string().default('base'),
      cpu_count: z.number().int().positive().optional(),
      memory_mb: z.number().int().positive().optional(),
      timeout_seconds: z.number().int().positive().default(600),
    })
    .optional(),
  /** Threadhand: pause the sandbox after this many idle seconds. */
  idle_pause_seconds: z.number().positive().default(300),
  /** Threadhand: vault names whose credentials sessions in this environment get. */
  vaults: z.array(z.string()).default([]),
});
export type EnvironmentConfig = z.infer<typeof EnvironmentConfig>;
export type EnvironmentConfigInput = z.input<typeof EnvironmentConfig>;

/** The model id of an agent, whatever form its config used. */
export function modelId(agent: AgentConfig): string {
  return typeof agent.model === 'string' ? agent.model : agent.model.id;
}
