/**
 * MCP header secrets from vaults, through the real composition: a `vault:<vault>/<NAME>`
 * reference (alone or inside a value such as `Bearer ...`) reaches the MCP server as the secret,
 * only for sessions that may use that vault, and the secret never lands in the session log.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestThreadhand, type TestThreadhand, text } from '../helpers/threadhand.js';

const SECRET = 'mcp-s3cret-9f1c';

let t: TestThreadhand | undefined;
let server: Server | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** A streamable-HTTP MCP server (stateless) that answers only `Authorization: Bearer <SECRET>`. */
async function startAuthedMcp(): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  server = createServer(async (req, res) => {
    seen.push(req.headers.authorization ?? '');
    if (req.headers.authorization !== `Bearer ${SECRET}`) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"unauthorized"}');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString()) : undefined;
    const mcp = new McpServer({ name: 'docs', version: '1.0.0' });
    mcp.registerTool('lookup', { description: 'Looks a page up.', inputSchema: {} }, async () => ({
      content: [{ type: 'text', text: 'page found' }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, seen };
}

async function withVault(agentVaults: string[] | undefined) {
  const mcp = await startAuthedMcp();
  t = await startTestThreadhand({
    // The real tool sources (built-ins + MCP with the vault broker), not the helper's none.
    toolSources: undefined,
    env: { ...process.env, THREADHAND_SECRET_KEY: 'k'.repeat(64) },
    agents: [
      {
        name: 'test',
        model: 'claude-test',
        ...(agentVaults ? { vaults: agentVaults } : {}),
        mcp_servers: [
          {
            type: 'url',
            name: 'docs',
            url: mcp.url,
            headers: { Authorization: 'Bearer vault:work/DOCS_TOKEN' },
          },
        ],
        tools: [
          {
            type: 'mcp_toolset',
            mcp_server_name: 'docs',
            default_config: { permission_policy: 'always_allow' },
          },
        ],
      },
    ],
    script: [
      { content: [{ type: 'tool_use', name: 'docs__lookup', input: {} }] },
      { content: [{ type: 'text', text: 'Found it.' }] },
    ],
  });
  const at = new Date().toISOString();
  await t.th.vaults.putVault({
    id: 'vlt_work',
    display_name: 'work',
    metadata: {},
    created_at: at,
    updated_at: at,
    archived_at: null,
  });
  await t.th.vaults.putCredential(
    {
      id: 'vcrd_docs',
      vault_id: 'vlt_work',
      display_name: 'DOCS_TOKEN',
      auth: {
        type: 'environment_variable',
        secret_name: 'DOCS_TOKEN',
        networking: { type: 'limited', allowed_hosts: ['docs.example.com'] },
        injection_location: { header: true, body: false },
      },
      metadata: {},
      created_at: at,
      updated_at: at,
      archived_at: null,
    },
    { secret_value: SECRET },
  );
  const s = await t.th.runtime.createSession({ initialEvents: [text('look it up')] });
  await t.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });
  return { mcp, events: await t.events(s.id) };
}

describe('MCP headers from vaults', () => {
  it('a session whose agent names the vault sends the secret inside the header, and never logs it', async () => {
    const { mcp, events } = await withVault(['work']);
    expect(mcp.seen).toContain(`Bearer ${SECRET}`);
    expect(mcp.seen.every((h) => h === `Bearer ${SECRET}`)).toBe(true);
    const tools = (t!.fake.requests[0]!.body.tools as { name: string }[]).map((x) => x.name);
    expect(tools).toContain('docs__lookup');
    expect(JSON.stringify(events.find((e) => e.type === 'agent.mcp_tool_result'))).toContain('page found');
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(JSON.stringify(t!.fake.requests.map((r) => r.body))).not.toContain(SECRET);
  });

  it('a session that was not given the vault does not get its secret: a clear error, no request with it', async () => {
    const { mcp, events } = await withVault(undefined);
    expect(mcp.seen).toHaveLength(0);
    const error = events.find((e) => e.type === 'session.error');
    expect(error).toMatchObject({ error: { type: 'mcp_connection_failed_error', mcp_server_name: 'docs' } });
    expect(JSON.stringify(error)).toContain('vault:work/DOCS_TOKEN is not in any vault this session can use');
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle' });
  });
});
