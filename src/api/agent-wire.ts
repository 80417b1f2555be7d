/** Agents between the Managed Agents wire format and `AgentConfig`. */
import { z } from 'zod';
import { AgentConfig, type AgentTool, modelId } from '../config/schema.js';
import type { AgentRecord } from '../runtime/types.js';
import { badRequest, notSupported, parseWith } from './errors.js';
import { slugName } from './records.js';

const Effort = z.union([
  z.enum(['low', 'medium', 'high', 'xhigh', 'max']),
  z.object({ type: z.enum(['low', 'medium', 'high', 'xhigh', 'max']) }),
]);
const ModelParam = z.union([
  z.string().min(1),
  z.object({
    id: z.string().min(1),
    effort: Effort.nullish(),
    speed: z.enum(['standard', 'fast']).nullish(),
    inference_geo: z.string().nullish(),
  }),
]);

/** Threadhand extension fields of an agent (`threadhand` in create/update bodies and responses). */
const AgentExtension = z
  .object({
    max_tokens: z.unknown(),
    thinking_budget_tokens: z.unknown(),
    compaction: z.unknown(),
    budget: z.unknown(),
    vaults: z.unknown(),
  })
  .partial()
  .strict();

const Common = {
  description: z.string().nullish(),
  system: z.string().nullish(),
  tools: z.array(z.unknown()).nullish(),
  mcp_servers: z.array(z.unknown()).nullish(),
  skills: z.array(z.unknown()).nullish(),
  multiagent: z.unknown().nullish(),
  execution_identity: z.object({ type: z.string() }).loose().nullish(),
  threadhand: AgentExtension.optional(),
};

export const AgentCreateBody = z.object({
  name: z.string().min(1, 'give the agent a name'),
  model: ModelParam,
  metadata: z.record(z.string(), z.string()).optional(),
  ...Common,
});

export const AgentUpdateBody = z.object({
  name: z.string().min(1).optional(),
  model: ModelParam.optional(),
  metadata: z.record(z.string(), z.string().nullable()).nullish(),
  version: z.number().int().min(1).optional(),
  ...Common,
});

function checkUnsupported(body: z.infer<typeof AgentUpdateBody>): void {
  if (body.skills && body.skills.length > 0) throw notSupported('skills');
  if (body.multiagent) throw notSupported('multiagent');
  if (body.execution_identity && body.execution_identity.type !== 'service_account')
    throw notSupported(`execution_identity ${body.execution_identity.type}`);
}

function normaliseModel(model: z.infer<typeof ModelParam>): AgentConfig['model'] {
  if (typeof model === 'string') return model;
  const effort =
    model.effort == null ? undefined : typeof model.effort === 'string' ? model.effort : model.effort.type;
  return { id: model.id, ...(effort ? { effort } : {}), ...(model.speed ? { speed: model.speed } : {}) };
}

function nameToSlug(name: string): string {
  const slug = slugName(name);
  if (!slug || !/^[a-z0-9]/.test(slug)) throw badRequest('name: must contain at least one letter or digit');
  return slug;
}

/** The config a create body describes. */
export function agentConfigFromCreate(raw: unknown): { config: AgentConfig; displayName: string } {
  const body = parseWith(AgentCreateBody, raw);
  checkUnsupported(body);
  const config = parseWith(AgentConfig, {
    name: nameToSlug(body.name),
    description: body.description ?? null,
    model: normaliseModel(body.model),
    system: body.system ?? null,
    tools: body.tools ?? [],
    mcp_servers: body.mcp_servers ?? [],
    metadata: body.metadata ?? {},
    ...body.threadhand,
  });
  return { config, displayName: body.name };
}

/** The next config an update body describes (omitted fields preserved, null clears). */
export function agentConfigFromUpdate(
  current: AgentConfig,
  currentDisplayName: string,
  raw: unknown,
): { config: AgentConfig; displayName: string; expectedVersion?: number } {
  const body = parseWith(AgentUpdateBody, raw);
  checkUnsupported(body);
  const metadata = { ...current.metadata };
  for (const [key, value] of Object.entries(body.metadata ?? {})) {
    if (value === null) delete metadata[key];
    else metadata[key] = value;
  }
  const next: Record<string, unknown> = {
    ...current,
    ...body.threadhand,
    name: body.name === undefined ? current.name : nameToSlug(body.name),
    model: body.model === undefined ? current.model : normaliseModel(body.model),
    metadata: body.metadata === null ? {} : metadata,
  };
  if (body.description !== undefined) next.description = body.description || null;
  if (body.system !== undefined) next.system = body.system || null;
  if (body.tools !== undefined) next.tools = body.tools ?? [];
  if (body.mcp_servers !== undefined) next.mcp_servers = body.mcp_servers ?? [];
  return {
    config: parseWith(AgentConfig, next),
    displayName: body.name ?? currentDisplayName,
    ...(body.version !== undefined ? { expectedVersion: body.version } : {}),
  };
}

type Policy = { type: 'always_allow' | 'always_ask' };
const ALLOW: Policy = { type: 'always_allow' };

function toolToWire(tool: AgentTool): Record<string, unknown> {
  if (tool.type === 'custom') return { ...tool };
  const defaults = {
    enabled: tool.default_config?.enabled ?? true,
    permission_policy: (tool.default_config?.permission_policy as Policy | null | undefined) ?? ALLOW,
  };
  const configs = (tool.configs ?? []).map((c) => ({
    name: c.name,
    ...(tool.type === 'agent_toolset_20260401' ? { type: c.name } : {}),
    enabled: c.enabled ?? defaults.enabled,
    permission_policy: (c.permission_policy as Policy | null | undefined) ?? defaults.permission_policy,
  }));
  return tool.type === 'mcp_toolset'
    ? { type: tool.type, mcp_server_name: tool.mcp_server_name, configs, default_config: defaults }
    : { type: tool.type, configs, default_config: defaults };
}

/** The agent's definition fields shared by `BetaManagedAgentsAgent` and a session's `agent`. */
export function agentDefinitionToWire(record: AgentRecord, displayName: string) {
  const { config } = record;
  const model =
    typeof config.model === 'string'
      ? { id: config.model }
      : {
          id: modelId(config),
          ...(config.model.effort ? { effort: { type: config.model.effort } } : {}),
          ...(config.model.speed ? { speed: config.model.speed } : {}),
        };
  return {
    type: 'agent' as const,
    id: record.id,
    version: record.version,
    name: displayName,
    description: config.description ?? null,
    system: config.system ?? null,
    model,
    tools: config.tools.map(toolToWire),
    // Only URL servers have a wire form; stdio servers (a Threadhand extension) stay harness-side.
    mcp_servers: config.mcp_servers.flatMap((s) =>
      s.type === 'url' ? [{ name: s.name, type: 'url', url: s.url }] : [],
    ),
    skills: [],
    multiagent: null,
    execution_identity: { type: 'service_account' },
  };
}

/** `BetaManagedAgentsAgent`, with the Threadhand extension fields under `threadhand`. */
export function agentToWire(record: AgentRecord, displayName = record.config.name) {
  const { config } = record;
  return {
    ...agentDefinitionToWire(record, displayName),
    metadata: config.metadata,
    created_at: record.created_at,
    updated_at: record.updated_at,
    archived_at: record.archived_at,
    threadhand: {
      source: record.source,
      max_tokens: config.max_tokens,
      ...(config.thinking_budget_tokens ? { thinking_budget_tokens: config.thinking_budget_tokens } : {}),
      ...(config.compaction ? { compaction: config.compaction } : {}),
      ...(config.budget ? { budget: config.budget } : {}),
      vaults: config.vaults,
    },
  };
}
