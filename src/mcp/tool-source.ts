/**
 * MCP servers as tools, harness-side: each server in the agent's `mcp_servers` that has an
 * `mcp_toolset` entry in `tools` is connected (streamable HTTP with SSE fallback, or stdio),
 * and each of its tools is offered to the model as `<server>__<tool>` with the server's
 * schema. A server that cannot be reached is reported as a session error and left out; the
 * session goes on without it, and is reported once per session rather than on every wake.
 * Connections are shared by a session's runs (see session-clients.ts) and closed when the
 * session idles out or `closeAll()` is called.
 */
import { createHash } from 'node:crypto';
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
import { createSessionClients, type SessionHold } from './session-clients.js';

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
  /** How long a session's connections stay open after its last run ends (default 5 minutes). */
  idleTimeoutMs?: number;
}

/** The MCP tool source, plus a way to close every session's connections at shutdown. */
export type McpToolSource = ToolSource & { closeAll(): Promise<void> };

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
  headers: Record<string, string>,
  options: McpToolSourceOptions,
): Promise<Client> {
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

function mcpTool(server: McpServer, toolset: Toolset, client: Client, t: ListedTool): Tool | undefined {
  const { enabled, permission } = policyFor(toolset, t.name);
  if (!enabled) return undefined;
  return {
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
  };
}

type ListedTool = Awaited<ReturnType<Client['listTools']>>['tools'][number];

/** Identifies a server config and its resolved headers without keeping secrets in the key. */
function configKey(server: McpServer, headers: Record<string, string>): string {
  return createHash('sha256')
    .update(JSON.stringify([server, headers]))
    .digest('hex');
}

/**
 * The session's client for a server and its tool list. Listing doubles as the liveness check
 * for a reused client: one that no longer answers is closed and replaced by a new connection.
 */
async function clientWithTools(
  server: McpServer,
  options: McpToolSourceOptions,
  ctx: SessionContext,
  hold: SessionHold,
): Promise<{ client: Client; tools: ListedTool[] }> {
  const headers = await resolveHeaders(server, options, ctx);
  const key = configKey(server, headers);
  const timeout = options.connectTimeoutMs ?? 10_000;
  const { client, reused } = await hold.client(server.name, key, () => connect(server, headers, options));
  try {
    return { client, tools: (await client.listTools(undefined, { timeout })).tools };
  } catch (error) {
    await hold.discard(server.name, client);
    if (!reused) throw error;
    options.logger.info(
      { sessionId: ctx.session.id, server: server.name, err: error instanceof Error ? error.message : error },
      'MCP connection lost; reconnecting',
    );
  }
  const fresh = await hold.client(server.name, key, () => connect(server, headers, options));
  try {
    return { client: fresh.client, tools: (await fresh.client.listTools(undefined, { timeout })).tools };
  } catch (error) {
    await hold.discard(server.name, fresh.client);
    throw error;
  }
}

export function createMcpToolSource(options: McpToolSourceOptions): McpToolSource {
  const sessions = createSessionClients({ idleTimeoutMs: options.idleTimeoutMs ?? 5 * 60_000 });
  const source: ToolSource = async (ctx) => {
    const toolsets = ctx.agent.tools.filter((t): t is Toolset => t.type === 'mcp_toolset');
    if (toolsets.length === 0) return { tools: [] };
    const hold = sessions.hold(ctx.session.id);
    const tools: Tool[] = [];
    const errors: SessionErrorObject[] = [];
    const report = (error: SessionErrorObject & { mcp_server_name: string }) => {
      if (hold.firstReport(error.mcp_server_name, error.message)) errors.push(error);
    };
    await Promise.all(
      toolsets.map(async (toolset) => {
        const server = ctx.agent.mcp_servers.find((s) => s.name === toolset.mcp_server_name);
        if (!server) {
          report({
            type: 'mcp_connection_failed_error',
            mcp_server_name: toolset.mcp_server_name,
            message: `The agent has an mcp_toolset for "${toolset.mcp_server_name}" but no mcp_servers entry with that name.`,
            retry_status: { type: 'terminal' },
          });
          return;
        }
        try {
          const { client, tools: listed } = await clientWithTools(server, options, ctx, hold);
          hold.recovered(server.name);
          for (const t of listed) {
            const tool = mcpTool(server, toolset, client, t);
            if (tool) tools.push(tool);
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          options.logger.warn(
            { sessionId: ctx.session.id, server: server.name, err: message },
            'MCP server unavailable',
          );
          report({
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
      // The connections outlive the run: releasing starts the session's idle countdown.
      async close() {
        hold.release();
      },
    };
  };
  return Object.assign(source, { closeAll: () => sessions.closeAll() });
}
