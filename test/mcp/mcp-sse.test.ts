/**
 * The HTTP+SSE fallback: an older MCP server that speaks only HTTP+SSE (GET for the event
 * stream, POST to the endpoint it names) is reached after streamable HTTP is refused, and
 * its tool round-trips through a session, on one connection for the session's turns.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../../src/logging.js';
import { createMcpToolSource, type McpToolSource } from '../../src/mcp/tool-source.js';
import { startTestThreadhand, type TestThreadhand, text } from '../helpers/threadhand.js';

let t: TestThreadhand | undefined;
let source: McpToolSource | undefined;
let server: Server | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await source?.closeAll();
  source = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** An SSE-only MCP server whose `note` tool keeps the notes of each connection. */
async function startSseOnlyMcp(): Promise<{ url: string; streams: () => number; refused: () => number }> {
  const transports = new Map<string, SSEServerTransport>();
  let streams = 0;
  let refused = 0;
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/sse') {
      streams += 1;
      const notes: string[] = [];
      const mcp = new McpServer({ name: 'notes', version: '1.0.0' });
      mcp.registerTool(
        'note',
        { description: 'Adds a note and lists all notes.', inputSchema: { text: z.string() } },
        async ({ text }) => {
          notes.push(text);
          return { content: [{ type: 'text', text: `notes: ${notes.join(', ')}` }] };
        },
      );
      const transport = new SSEServerTransport('/messages', res);
      transports.set(transport.sessionId, transport);
      res.on('close', () => transports.delete(transport.sessionId));
      await mcp.connect(transport);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/messages') {
      const transport = transports.get(url.searchParams.get('sessionId') ?? '');
      if (!transport) {
        res.writeHead(404).end('unknown session');
        return;
      }
      await transport.handlePostMessage(req, res);
      return;
    }
    // What an SSE-only server answers to a streamable HTTP POST.
    refused += 1;
    res.writeHead(405, { allow: 'GET' }).end('Method Not Allowed');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/sse`,
    streams: () => streams,
    refused: () => refused,
  };
}

const noteTurn = (note: string) => [
  { content: [{ type: 'tool_use' as const, name: 'notes__note', input: { text: note } }] },
  { content: [{ type: 'text' as const, text: 'Noted.' }] },
];

describe('MCP over HTTP+SSE', () => {
  it('an SSE-only server is reached by the fallback, its tool round-trips, and later turns reuse the connection', async () => {
    const mcp = await startSseOnlyMcp();
    source = createMcpToolSource({ logger: silentLogger() });
    t = await startTestThreadhand({
      toolSources: [source],
      agents: [
        {
          name: 'test',
          model: 'claude-test',
          mcp_servers: [{ type: 'url', name: 'notes', url: mcp.url }],
          tools: [
            {
              type: 'mcp_toolset',
              mcp_server_name: 'notes',
              default_config: { permission_policy: 'always_allow' },
            },
          ],
        },
      ],
      script: [...noteTurn('milk'), ...noteTurn('eggs')],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('note milk')] });
    await t.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });
    await t.th.runtime.send(s.id, [text('note eggs')]);
    await t.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });

    const tools = (t.fake.requests[0]!.body.tools as { name: string }[]).map((x) => x.name);
    expect(tools).toEqual(['notes__note']);
    const events = await t.events(s.id);
    expect(events.filter((e) => e.type === 'session.error')).toEqual([]);
    const results = events.flatMap((e) => (e.type === 'agent.mcp_tool_result' ? [e] : []));
    expect(results.map((r) => r.content)).toEqual([
      [{ type: 'text', text: 'notes: milk' }],
      [{ type: 'text', text: 'notes: milk, eggs' }],
    ]);
    expect(results.every((r) => r.is_error === false)).toBe(true);
    // The model saw the result under its model-facing name.
    expect(JSON.stringify(t.fake.requests[1]!.body.messages)).toContain('notes: milk');
    expect(mcp.refused()).toBeGreaterThan(0);
    expect(mcp.streams()).toBe(1);
  });
});
