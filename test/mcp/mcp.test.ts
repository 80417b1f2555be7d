import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../../src/logging.js';
import { createMcpToolSource } from '../../src/mcp/tool-source.js';
import { startTestThreadhand, type TestThreadhand, text, until } from '../helpers/threadhand.js';

let t: TestThreadhand | undefined;
let child: ChildProcess | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  child?.kill('SIGKILL');
  child = undefined;
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** An in-process MCP server with one `add` tool, reached over InMemoryTransport. */
function inMemoryServer() {
  const server = new McpServer({ name: 'calc', version: '1.0.0' });
  server.registerTool(
    'add',
    { description: 'Adds two numbers.', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
    }),
  );
  server.registerTool('hidden', { description: 'Disabled by config.', inputSchema: {} }, async () => ({
    content: [{ type: 'text', text: 'no' }],
  }));
  return server;
}

describe('MCP tools', () => {
  it('offers MCP tools under a server prefix, logs calls as mcp events, and honours per-tool config', async () => {
    const calc = inMemoryServer();
    const source = createMcpToolSource({
      logger: silentLogger(),
      async transportFor() {
        const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
        await calc.connect(serverSide);
        return clientSide;
      },
    });
    t = await startTestThreadhand({
      toolSources: [source],
      agents: [
        {
          name: 'test',
          model: 'claude-test',
          mcp_servers: [{ type: 'url', name: 'calc', url: 'http://calc.invalid/mcp' }],
          tools: [
            {
              type: 'mcp_toolset',
              mcp_server_name: 'calc',
              default_config: { permission_policy: 'always_allow' },
              configs: [{ name: 'hidden', enabled: false }],
            },
          ],
        },
      ],
      script: [
        { content: [{ type: 'tool_use', name: 'calc__add', input: { a: 2, b: 40 } }] },
        { content: [{ type: 'text', text: '42' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('add 2 and 40')] });
    await t.th.runtime.waitForIdle(s.id);
    const tools = (
      t.fake.requests[0]!.body.tools as { name: string; input_schema: { properties: object } }[]
    ).map((x) => x.name);
    expect(tools).toEqual(['calc__add']);
    const events = await t.events(s.id);
    const use = events.find((e) => e.type === 'agent.mcp_tool_use');
    expect(use).toMatchObject({
      name: 'add',
      mcp_server_name: 'calc',
      input: { a: 2, b: 40 },
      evaluation: { type: 'always_allow' },
    });
    expect(events.find((e) => e.type === 'agent.mcp_tool_result')).toMatchObject({
      mcp_tool_use_id: use!.id,
      content: [{ type: 'text', text: '42' }],
      is_error: false,
    });
    // The model's second request carries the MCP result under the model-facing tool name.
    const second = JSON.stringify(t.fake.requests[1]!.body.messages);
    expect(second).toContain('calc__add');
    expect(second).toContain('"42"');
  });

  it('a real MCP server from npm: tool list reaches the model, a call round-trips, a dead server is an error event and the session goes on', async () => {
    const port = await freePort();
    const deadPort = await freePort();
    const bin = join(
      process.cwd(),
      'node_modules',
      '@modelcontextprotocol',
      'server-everything',
      'dist',
      'index.js',
    );
    child = spawn(process.execPath, [bin, 'streamableHttp'], {
      env: { ...process.env, PORT: String(port) },
      stdio: 'ignore',
    });
    await until(
      async () => {
        try {
          await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'GET' });
          return true;
        } catch {
          return false;
        }
      },
      15_000,
      'server-everything to listen',
    );

    t = await startTestThreadhand({
      toolSources: [createMcpToolSource({ logger: silentLogger() })],
      agents: [
        {
          name: 'test',
          model: 'claude-test',
          mcp_servers: [
            { type: 'url', name: 'everything', url: `http://127.0.0.1:${port}/mcp` },
            { type: 'url', name: 'dead', url: `http://127.0.0.1:${deadPort}/mcp` },
          ],
          tools: [
            {
              type: 'mcp_toolset',
              mcp_server_name: 'everything',
              default_config: { permission_policy: 'always_allow' },
            },
            { type: 'mcp_toolset', mcp_server_name: 'dead' },
          ],
        },
      ],
      script: [
        { content: [{ type: 'tool_use', name: 'everything__echo', input: { message: 'hello mcp' } }] },
        { content: [{ type: 'text', text: 'It echoed.' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('echo something')] });
    await t.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });
    const tools = (t.fake.requests[0]!.body.tools as { name: string }[]).map((x) => x.name);
    expect(tools).toContain('everything__echo');
    expect(tools.some((name) => name.startsWith('dead__'))).toBe(false);
    const events = await t.events(s.id);
    const error = events.find((e) => e.type === 'session.error');
    expect(error).toMatchObject({ error: { type: 'mcp_connection_failed_error', mcp_server_name: 'dead' } });
    const result = events.find((e) => e.type === 'agent.mcp_tool_result');
    expect(JSON.stringify(result)).toContain('hello mcp');
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
  });
});
