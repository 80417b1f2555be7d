/**
 * MCP connections shared by a session's runs: a stdio server (a real child process over the
 * real stdio protocol) is started once for several turns and keeps its state, is stopped
 * after the session idles out, is restarted when it died, and a dead server is reported once.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../../src/config/schema.js';
import type { SessionEvent } from '../../src/events/schema.js';
import { silentLogger } from '../../src/logging.js';
import { createMcpToolSource, type McpToolSource } from '../../src/mcp/tool-source.js';
import { startTestThreadhand, type TestThreadhand, text, until } from '../helpers/threadhand.js';

const COUNTER = join(import.meta.dirname, 'fixtures', 'counter-server.mjs');

let t: TestThreadhand | undefined;
let source: McpToolSource | undefined;
let dir: string | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
  await source?.closeAll();
  source = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function startsOf(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const countTurn = [
  { content: [{ type: 'tool_use' as const, name: 'counter__count', input: {} }] },
  { content: [{ type: 'text' as const, text: 'Counted.' }] },
];

async function startCounter(idleTimeoutMs: number) {
  dir = mkdtempSync(join(tmpdir(), 'threadhand-mcp-'));
  const starts = join(dir, 'starts');
  source = createMcpToolSource({ logger: silentLogger(), idleTimeoutMs });
  const agent: AgentConfigInput = {
    name: 'test',
    model: 'claude-test',
    mcp_servers: [
      {
        type: 'stdio',
        name: 'counter',
        command: process.execPath,
        args: [COUNTER],
        env: { COUNTER_STARTS_FILE: starts },
      },
    ],
    tools: [
      {
        type: 'mcp_toolset',
        mcp_server_name: 'counter',
        default_config: { permission_policy: 'always_allow' },
      },
    ],
  };
  t = await startTestThreadhand({
    toolSources: [source],
    agents: [agent],
    script: [...countTurn, ...countTurn],
  });
  return { starts };
}

/** The text of each MCP tool result in the session, in order. */
function resultTexts(events: SessionEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'agent.mcp_tool_result' ? [JSON.stringify(e.content)] : []));
}

describe('MCP connections per session', () => {
  it('a stdio server is started once for two turns of a session, keeps its state, and stops after the idle time', async () => {
    const { starts } = await startCounter(1_500);
    const s = await t!.th.runtime.createSession({ initialEvents: [text('count')] });
    await t!.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });
    await t!.th.runtime.send(s.id, [text('count again')]);
    await t!.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });

    const events = await t!.events(s.id);
    const results = resultTexts(events);
    expect(results).toHaveLength(2);
    expect(results[0]).toContain('call 1');
    // The second turn talked to the same server process: its counter went on.
    expect(results[1]).toContain('call 2');
    expect(events.filter((e) => e.type === 'session.error')).toEqual([]);
    const pids = startsOf(starts);
    expect(pids).toHaveLength(1);
    expect(alive(pids[0]!)).toBe(true);

    // No run for the idle time: the server process is stopped.
    await until(() => !alive(pids[0]!), 10_000, 'the stdio server to stop after the idle time');
    expect(startsOf(starts)).toHaveLength(1);
  });

  it('a stdio server that died between turns is started again on the next turn', async () => {
    const { starts } = await startCounter(60_000);
    const s = await t!.th.runtime.createSession({ initialEvents: [text('count')] });
    await t!.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });
    const [first] = startsOf(starts);
    process.kill(first!, 'SIGKILL');
    await until(() => !alive(first!), 10_000, 'the stdio server to die');

    await t!.th.runtime.send(s.id, [text('count again')]);
    await t!.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });
    const events = await t!.events(s.id);
    const results = resultTexts(events);
    expect(results).toHaveLength(2);
    // A new process answered (its counter starts over) instead of an error from the dead one.
    expect(results[1]).toContain('call 1');
    expect(events.filter((e) => e.type === 'session.error')).toEqual([]);
    const pids = startsOf(starts);
    expect(pids).toHaveLength(2);
    expect(pids[1]).not.toBe(first);

    // closeAll (shutdown) stops the live server now, without waiting for the idle time.
    await source!.closeAll();
    await until(() => !alive(pids[1]!), 10_000, 'closeAll to stop the stdio server');
  });

  it('a dead server is reported once per session, not on every wake', async () => {
    const deadPort = await freePort();
    source = createMcpToolSource({ logger: silentLogger(), idleTimeoutMs: 60_000 });
    t = await startTestThreadhand({
      toolSources: [source],
      agents: [
        {
          name: 'test',
          model: 'claude-test',
          mcp_servers: [{ type: 'url', name: 'dead', url: `http://127.0.0.1:${deadPort}/mcp` }],
          tools: [{ type: 'mcp_toolset', mcp_server_name: 'dead' }],
        },
      ],
      script: [{ content: [{ type: 'text', text: 'One.' }] }, { content: [{ type: 'text', text: 'Two.' }] }],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('hi')] });
    await t.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });
    await t.th.runtime.send(s.id, [text('again')]);
    await t.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });
    const events = await t.events(s.id);
    expect(events.filter((e) => e.type === 'agent.message')).toHaveLength(2);
    const errors = events.filter((e) => e.type === 'session.error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      error: { type: 'mcp_connection_failed_error', mcp_server_name: 'dead' },
    });
  });
});
