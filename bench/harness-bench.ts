/**
 * Harness overhead per tool turn: from the moment the fake model finished sending a
 * `tool_use` answer to the moment the next model request arrives, with an instant tool and
 * every event durably logged (SQLite). Side by side with a bare SDK loop doing the same turns
 * without any log (the floor), and with Anthropic's `@anthropic-ai/claude-agent-sdk` doing the
 * same session against the same fake model (what users would pick instead; see agent-sdk-peer.ts).
 */
import Anthropic from '@anthropic-ai/sdk';
import { type Tool, textResult } from '../src/tools/types.js';
import { type FakeAnthropic, startFakeAnthropic } from '../test/fakes/anthropic/server.js';
import { startTestThreadhand, TEST_API_KEY } from '../test/helpers/threadhand.js';
import { agentSdkTurns } from './agent-sdk-peer.js';
import { printTable, ratio, summary } from './stats.js';

const instant: Tool = {
  name: 'noop',
  description: 'Does nothing, instantly.',
  input_schema: { type: 'object', properties: { i: { type: 'number' } } },
  kind: 'test',
  permission: 'always_allow',
  run: async (input) => textResult(`ok ${String(input.i)}`),
};

function script(toolCalls: number) {
  let n = 0;
  return () =>
    n++ < toolCalls
      ? { content: [{ type: 'tool_use' as const, name: 'noop', input: { i: n } }], chunkSize: 1000 }
      : { content: [{ type: 'text' as const, text: 'done' }], chunkSize: 1000 };
}

function gaps(fake: FakeAnthropic, from: number): number[] {
  const out: number[] = [];
  const reqs = fake.requests.slice(from);
  for (let i = 1; i < reqs.length; i++) {
    const prev = reqs[i - 1]!;
    if (prev.completedAtMs !== undefined) out.push(reqs[i]!.receivedAtMs - prev.completedAtMs);
  }
  return out;
}

async function threadhandTurns(
  toolCalls: number,
  sessions: number,
  synchronous: 'NORMAL' | 'FULL',
): Promise<number[]> {
  const { createSqliteStores } = await import('../src/store/sqlite/index.js');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'th-bench-'));
  const t = await startTestThreadhand({
    extraTools: [instant],
    dir,
    stores: createSqliteStores({ dir, synchronous }),
  });
  const all: number[] = [];
  try {
    for (let s = 0; s < sessions; s++) {
      t.fake.setScript(script(toolCalls));
      const from = t.fake.requests.length;
      const session = await t.th.runtime.createSession({
        initialEvents: [{ type: 'user.message', content: [{ type: 'text', text: 'go' }] }],
      });
      await t.th.runtime.waitForIdle(session.id, { timeoutMs: 60_000 });
      all.push(...gaps(t.fake, from));
    }
  } finally {
    await t.close();
  }
  return all;
}

async function bareSdkTurns(toolCalls: number, sessions: number): Promise<number[]> {
  const fake = await startFakeAnthropic({ apiKey: TEST_API_KEY });
  const client = new Anthropic({ apiKey: TEST_API_KEY, baseURL: fake.url, maxRetries: 0 });
  const all: number[] = [];
  try {
    for (let s = 0; s < sessions; s++) {
      fake.setScript(script(toolCalls));
      const from = fake.requests.length;
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'go' }];
      for (;;) {
        const stream = client.messages.stream({
          model: 'claude-test',
          max_tokens: 1024,
          messages,
          tools: [{ name: 'noop', description: 'x', input_schema: { type: 'object' } }],
        });
        const message = await stream.finalMessage();
        messages.push({ role: 'assistant', content: message.content });
        const uses = message.content.filter((b) => b.type === 'tool_use');
        if (uses.length === 0) break;
        messages.push({
          role: 'user',
          content: uses.map((u) => ({ type: 'tool_result' as const, tool_use_id: u.id, content: 'ok' })),
        });
      }
      all.push(...gaps(fake, from));
    }
  } finally {
    await fake.close();
  }
  return all;
}

export async function run(options: { smoke?: boolean } = {}): Promise<Record<string, unknown>> {
  const toolCalls = options.smoke ? 5 : 50;
  const sessions = options.smoke ? 1 : 4;
  const bare = summary(await bareSdkTurns(toolCalls, sessions));
  const normal = summary(await threadhandTurns(toolCalls, sessions, 'NORMAL'));
  const full = summary(await threadhandTurns(toolCalls, sessions, 'FULL'));
  const peer = await agentSdkTurns(toolCalls, options.smoke ? 1 : 2);
  const agentSdk = summary(peer.gaps);
  const rows = [
    {
      system: 'bare SDK loop (no log)',
      p50_ms: bare.p50,
      p95_ms: bare.p95,
      turns: bare.n,
      'p50 vs bare': 1,
      'p50 vs Threadhand': ratio(bare.p50, normal.p50),
    },
    {
      system: 'Threadhand, SQLite synchronous=NORMAL',
      p50_ms: normal.p50,
      p95_ms: normal.p95,
      turns: normal.n,
      'p50 vs bare': ratio(normal.p50, bare.p50),
      'p50 vs Threadhand': 1,
    },
    {
      system: 'Threadhand, SQLite synchronous=FULL',
      p50_ms: full.p50,
      p95_ms: full.p95,
      turns: full.n,
      'p50 vs bare': ratio(full.p50, bare.p50),
      'p50 vs Threadhand': ratio(full.p50, normal.p50),
    },
    peer.unavailable
      ? {
          system: `claude-agent-sdk: could not run here (${peer.unavailable.slice(0, 120)})`,
          p50_ms: '',
          p95_ms: '',
          turns: 0,
          'p50 vs bare': '',
          'p50 vs Threadhand': '',
        }
      : {
          system: `claude-agent-sdk ${peer.version ?? ''} (CLI child process, no log)`,
          p50_ms: agentSdk.p50,
          p95_ms: agentSdk.p95,
          turns: agentSdk.n,
          'p50 vs bare': ratio(agentSdk.p50, bare.p50),
          'p50 vs Threadhand': ratio(agentSdk.p50, normal.p50),
        },
  ];
  printTable(
    `Harness overhead per tool turn (${toolCalls} instant tool calls x ${sessions} sessions; target p50 <= 15 ms, p95 <= 40 ms)`,
    rows,
  );
  return {
    toolCalls,
    sessions,
    bare,
    threadhand_normal: normal,
    threadhand_full: full,
    claude_agent_sdk: peer.unavailable
      ? { unavailable: peer.unavailable, version: peer.version }
      : {
          ...agentSdk,
          version: peer.version,
          sessions: options.smoke ? 1 : 2,
          side_requests: peer.sideRequests,
        },
    ratio_agent_sdk_vs_threadhand_p50: peer.unavailable ? null : ratio(agentSdk.p50, normal.p50),
    ratio_agent_sdk_vs_threadhand_p95: peer.unavailable ? null : ratio(agentSdk.p95, normal.p95),
  };
}
