/**
 * The peer for the harness-overhead bench: Anthropic's `@anthropic-ai/claude-agent-sdk` running
 * the same scripted tool-call session against the same fake model (via `ANTHROPIC_BASE_URL`),
 * with the same instant tool (an in-process SDK MCP tool). The SDK drives its bundled CLI as a
 * child process, so this is what a user of that SDK would get on this machine. Its built-in
 * tools are switched off and no settings files are read, so the turn gap is its loop alone.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { type FakeAnthropic, startFakeAnthropic } from '../test/fakes/anthropic/server.js';
import type { FakeTurn, RecordedRequest } from '../test/fakes/anthropic/types.js';

const TOOL = 'mcp__bench__noop';

export interface AgentSdkFigures {
  /** Gaps (ms) between a tool_use answer finishing and the next request of the same loop. */
  gaps: number[];
  /** Requests the CLI made besides the main loop (titles, quota checks...), answered with text. */
  sideRequests: number;
  /** Why it could not run here, when it could not. */
  unavailable?: string;
  version?: string;
}

function isMainLoop(request: RecordedRequest): boolean {
  const tools = (request.body?.tools ?? []) as Array<{ name?: string }>;
  return tools.some((t) => t.name === TOOL);
}

async function oneSession(fake: FakeAnthropic, toolCalls: number, cwd: string): Promise<number[]> {
  // vendor edge: the SDK is ESM-only and heavy; load it only when this bench runs.
  const sdk = await import('@anthropic-ai/claude-agent-sdk');
  let n = 0;
  fake.setScript((request): FakeTurn => {
    if (!isMainLoop(request)) return { content: [{ type: 'text', text: 'ok' }], chunkSize: 1000 };
    n += 1;
    return n <= toolCalls
      ? { content: [{ type: 'tool_use', name: TOOL, input: { i: n } }], chunkSize: 1000 }
      : { content: [{ type: 'text', text: 'done' }], chunkSize: 1000 };
  });
  const from = fake.requests.length;
  const server = sdk.createSdkMcpServer({
    name: 'bench',
    version: '1.0.0',
    tools: [
      sdk.tool('noop', 'Does nothing, instantly.', { i: z.number() }, async (args) => ({
        content: [{ type: 'text', text: `ok ${String(args.i)}` }],
      })),
    ],
  });
  let stderr = '';
  let result: string | undefined;
  for await (const message of sdk.query({
    prompt: 'go',
    options: {
      model: 'claude-sonnet-4-5',
      mcpServers: { bench: server },
      tools: [],
      allowedTools: [TOOL],
      permissionMode: 'bypassPermissions',
      allowDangerouslySkipPermissions: true,
      settingSources: [],
      maxTurns: toolCalls + 5,
      cwd,
      env: {
        ...process.env,
        ANTHROPIC_BASE_URL: fake.url,
        ANTHROPIC_API_KEY: 'sk-ant-bench',
        // As root, bypassPermissions is refused unless the CLI is told it runs in a sandbox.
        IS_SANDBOX: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        DISABLE_TELEMETRY: '1',
      },
      stderr: (data: string) => {
        stderr = (stderr + data).slice(-4000);
      },
    },
  })) {
    if (message.type === 'result') result = message.subtype;
  }
  if (result !== 'success')
    throw new Error(`claude-agent-sdk session ended with ${result ?? 'no result'}: ${stderr}`);
  const main = fake.requests.slice(from).filter(isMainLoop);
  if (main.length !== toolCalls + 1)
    throw new Error(`claude-agent-sdk made ${main.length} model requests, expected ${toolCalls + 1}`);
  const gaps: number[] = [];
  for (let i = 1; i < main.length; i++) {
    const prev = main[i - 1]!;
    if (prev.completedAtMs !== undefined) gaps.push(main[i]!.receivedAtMs - prev.completedAtMs);
  }
  return gaps;
}

/** Runs `sessions` sessions of `toolCalls` instant tool calls; never throws. */
export async function agentSdkTurns(toolCalls: number, sessions: number): Promise<AgentSdkFigures> {
  const fake = await startFakeAnthropic({});
  const cwd = mkdtempSync(join(tmpdir(), 'th-agent-sdk-'));
  const figures: AgentSdkFigures = { gaps: [], sideRequests: 0 };
  try {
    const path = join(process.cwd(), 'node_modules', '@anthropic-ai', 'claude-agent-sdk', 'package.json');
    figures.version = (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    // the version is informative only
  }
  try {
    for (let s = 0; s < sessions; s++) figures.gaps.push(...(await oneSession(fake, toolCalls, cwd)));
    figures.sideRequests = fake.requests.filter((r) => !isMainLoop(r)).length;
  } catch (error) {
    figures.unavailable = error instanceof Error ? error.message.slice(0, 600) : String(error);
  } finally {
    await fake.close();
    rmSync(cwd, { recursive: true, force: true });
  }
  return figures;
}
