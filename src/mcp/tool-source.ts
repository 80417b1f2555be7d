/**
 * MCP servers as tools, harness-side: each server in the agent's `mcp_servers` that has an
 * `mcp_toolset` entry in `tools` is connected (streamable HTTP with SSE fallback, or stdio),
 * and each of its tools is offered to the model as `<server>__<tool>` with the server's
 * schema. A server that cannot be reached is reported as a session error and left out; the
 * session goes on without it. Connections live for one run and are closed when it ends.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { AgentConfig, McpServer } from '../config/schema.js';
import type { SessionErrorObject, ToolResultContentBlock } from '../events/schema.js';
import { mcpToolName } from '../harness/context.js';
import type { ToolSource } from '../harness/toolset.js';
import type { SessionContext } from '../harness/types.js';
import type { Logger } from '../logging.js';
import type { PermissionPolicy, Tool, ToolResult } from '../tools/types.js';

export interface McpToolSourceOptions {
  logger: Logger;
  /**
   * Resolves a `vault:<vault>/<SECRET_NAME>` reference for one session: only vaults that session
   * may use (its `vault_ids`, the agent's and the environment's `vaults`, else `default`).
   */
  resolveSecret?(reference: string, ctx: SessionContext): Promise<string | undefined>;
  /** Builds the transport for a server (tests pass in-memory transports). */
  transportFor?(server: McpServer, headers: Record<string, string>): Transport | Promise<Transport>;
  connectTimeoutMs?: number;
}

type Toolset = Extract<AgentConfig['tools'][number], { type: 'mcp_toolset' }>;

function policyFor(toolset: Toolset, tool: string): { enabled: boolean; permission: PermissionPolicy } {
  const specific = toolset.configs?.find((c) => c.name === tool);
  const enabled = specific?.enabled ?? toolset.default_config?.enabled ?? true;
  // MCP tools are outside Threadhand's sandbox: ask by default, as the SDK's default does.
  const permission =
    specific?.permission_policy?.type ?? toolset.default_config?.permission_policy?.type ?? 'always_ask';
  return { enabled, permission };
}

/** A vault reference anywhere in a header value, e.g. `Bearer vault:work/DOCS_TOKEN`. */
const VAULT_REFERENCE = /vault:[^\s/]+\/\S+/g;

async function resolveHeaders(
  server: McpServer,
  options: McpToolSourceOptions,
  ctx: SessionContext,
): Promise<Record<string, string>> {
  if (server.type !== 'url' || !server.headers) return {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(server.headers)) {
    let resolved = value;
    for (const reference of new Set(value.match(VAULT_REFERENCE) ?? [])) {
      const secret = await options.resolveSecret?.(reference, ctx);
      if (secret === undefined) {
        throw new Error(
          `header ${name}: ${reference} is not in any vault this session can use (name the vault in the agent's or environment's \`vaults\`, or the session's vault_ids)`,
        );
      }
      resolved = resolved.split(reference).join(secret);
    }
    out[name] = resolved;
  }
  return out;
}

async function connect(
  server: McpServer,
  options: McpToolSourceOptions,
  ctx: SessionContext,
): Promise<Client> {
  const headers = await resolveHeaders(server, options, ctx);
  const attempt = async (transport: Transport) => {
    const client = new Client({ name: 'threadhand', version: '0.1.0' });
    await client.connect(transport, { timeout: options.connectTimeoutMs ?? 10_000 });
    return client;
  };
  if (options.transportFor) return attempt(await options.transportFor(server, headers));
  if (server.type === 'stdio') {
    return attempt(
      new StdioClientTransport({
        command: server.command,
        args: server.args,
        env: { PATH: process.env.PATH ?? '', ...server.env },
        stderr: 'ignore',
      }),
    );
  }
  const url = new URL(server.url);
  try {
    return await attempt(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
  } catch (error) {
    // Older servers speak only HTTP+SSE.
    try {
      return await attempt(new SSEClientTransport(url, { requestInit: { headers } }));
    } catch {
      throw error;
    }
  }
}

type McpContent = {
  type: string;
  text?: string;
  data?: string;
  mimeType?: string;
  resource?: { uri?: string; text?: string };
};

function toBlocks(content: McpContent[] | undefined): ToolResultContentBlock[] {
  return (content ?? []).map((c): ToolResultContentBlock => {
    if (c.type === 'text') return { type: 'text', text: c.text ?? '' };
    if (c.type === 'image' && c.data)
      return {
        type: 'image',
        source: { type: 'base64', media_type: c.mimeType ?? 'image/png', data: c.data },
      };
    if (c.type === 'resource')
      return { type: 'text', text: c.resource?.text ?? `[resource ${c.resource?.uri ?? ''}]` };
    return { type: 'text', text: `[${c.type} content]` };
  });
}

export function createMcpToolSource(options: McpToolSourceOptions): ToolSource {
  return async (ctx) => {
    const toolsets = ctx.agent.tools.filter((t): t is Toolset => t.type === 'mcp_toolset');
    const clients: Client[] = [];
    const tools: Tool[] = [];
    const errors: SessionErrorObject[] = [];
    await Promise.all(
      toolsets.map(async (toolset) => {
        const server = ctx.agent.mcp_servers.find((s) => s.name === toolset.mcp_server_name);
        if (!server) {
          errors.push({
            type: 'mcp_connection_failed_error',
            mcp_server_name: toolset.mcp_server_name,
            message: `The agent has an mcp_toolset for "${toolset.mcp_server_name}" but no mcp_servers entry with that name.`,
            retry_status: { type: 'terminal' },
          });
          return;
        }
        try {
          const client = await connect(server, options, ctx);
          clients.push(client);
          const listed = await client.listTools();
          for (const t of listed.tools) {
            const { enabled, permission } = policyFor(toolset, t.name);
            if (!enabled) continue;
            tools.push({
              name: mcpToolName(server.name, t.name),
              description: t.description ?? `${t.name} (MCP server ${server.name})`,
              input_schema: t.inputSchema as Record<string, unknown>,
              kind: 'mcp',
              mcpServerName: server.name,
              permission,
              async run(input, toolCtx): Promise<ToolResult> {
                try {
                  const result = await client.callTool({ name: t.name, arguments: input }, undefined, {
                    signal: toolCtx.signal,
                    timeout: 10 * 60_000,
                  });
                  const blocks = toBlocks(result.content as McpContent[] | undefined);
                  return {
                    content: blocks.length > 0 ? blocks : [{ type: 'text', text: '(no output)' }],
                    is_error: Boolean(result.isError),
                  };
                } catch (error) {
                  return {
                    content: [
                      {
                        type: 'text',
                        text: `MCP server ${server.name} failed: ${error instanceof Error ? error.message : String(error)}`,
                      },
                    ],
                    is_error: true,
                  };
                }
              },
            });
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          options.logger.warn(
            { sessionId: ctx.session.id, server: server.name, err: message },
            'MCP server unavailable',
          );
          errors.push({
            type: 'mcp_connection_failed_error',
            mcp_server_name: server.name,
            message: `Could not connect to MCP server "${server.name}": ${message}. The session continues without its tools.`,
            retry_status: { type: 'terminal' },
          });
        }
      }),
    );
    return {
      tools,
      errors,
      async close() {
        await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
      },
    };
  };
}
