/**
 * The tools one session offers the model: the agent's built-in toolset, its custom tools,
 * MCP tools and any extra tools the embedding program adds (tests use a test tool).
 */
import type { AgentConfig } from '../config/schema.js';
import type { SessionErrorObject } from '../events/schema.js';
import type { Tool, Toolset } from '../tools/types.js';
import type { SessionContext } from './types.js';

/** A source of tools for a session (built-ins, MCP servers...). */
export type ToolSource = (
  ctx: SessionContext,
) => Promise<{ tools: Tool[]; close?(): Promise<void>; errors?: SessionErrorObject[] }>;

export function customTools(agent: AgentConfig): Tool[] {
  return agent.tools.flatMap((t) =>
    t.type === 'custom'
      ? [
          {
            name: t.name,
            description: t.description,
            input_schema: t.input_schema,
            kind: 'custom' as const,
            permission: 'always_allow' as const,
          },
        ]
      : [],
  );
}

export function createToolsetFactory(sources: ToolSource[]): (ctx: SessionContext) => Promise<Toolset> {
  return async (ctx) => {
    const settled = await Promise.allSettled(sources.map((source) => source(ctx)));
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      // Release what the other sources opened for this run (MCP holds its connections).
      await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.close?.() : undefined)));
      throw failed.reason;
    }
    const parts = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const byName = new Map<string, Tool>();
    for (const tool of [...parts.flatMap((p) => p.tools), ...customTools(ctx.agent)]) {
      if (!byName.has(tool.name)) byName.set(tool.name, tool);
    }
    const list = [...byName.values()];
    return {
      errors: parts.flatMap((p) => p.errors ?? []),
      list: () => list,
      get: (name) => byName.get(name),
      async close() {
        await Promise.all(parts.map((p) => p.close?.()));
      },
    };
  };
}
