/**
 * A workspace for end-to-end credential tests through the CLI: the fake model, an HTTPS
 * upstream on 127.0.0.2 (allowed by the environments), a `tester` agent with only `bash`, and
 * `runBash`, which runs one `threadhand run` whose single tool call is the given command in a
 * real bubblewrap sandbox.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import { createTestIo, createWorkspace } from '../cli/helpers.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { startTestUpstream, type TestUpstream } from './helpers.js';

export const UPSTREAM_HOST = '127.0.0.2';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export interface SessionRun extends CliResult {
  /** The text of the bash tool's result (stdout and stderr of the command). */
  toolOutput: string;
  /** `sessions show --json` of the session: one stored event per line. */
  eventsJson: string;
}

export interface CredentialWorkspace {
  ws: Awaited<ReturnType<typeof createWorkspace>>;
  fake: FakeAnthropic;
  upstream: TestUpstream;
  env: NodeJS.ProcessEnv;
  /** `https://127.0.0.2:<port>` */
  base: string;
  /** Every CLI output so far (stdout and stderr), to check no secret was ever printed. */
  printed(): string;
  cli(args: string[]): Promise<CliResult>;
  /** Writes `<agentsDir>/environments/<name>.yaml` allowing the upstream host. */
  writeEnvironment(name: string, extra?: string): void;
  runBash(command: string, runArgs?: string[]): Promise<SessionRun>;
  close(): Promise<void>;
}

export function requireTools(tools: string[]): void {
  for (const tool of tools) {
    try {
      execFileSync('which', [tool]);
    } catch {
      throw new Error(
        `${tool} is not installed: apt-get install -y bubblewrap curl socat (scripts/setup.sh)`,
      );
    }
  }
}

/** `extraHosts`: more names or loopback addresses the upstream serves (same port and CA) and the environments allow. */
export async function createCredentialWorkspace(
  options: { extraHosts?: string[] } = {},
): Promise<CredentialWorkspace> {
  const hosts = [UPSTREAM_HOST, ...(options.extraHosts ?? [])];
  requireTools(['bwrap', 'curl', 'socat']);
  const fake = await startFakeAnthropic({ apiKey: 'sk-test' });
  const ws = await createWorkspace();
  const upstream = await startTestUpstream(ws.root, hosts);
  writeFileSync(
    join(ws.agentsDir, 'tester.yaml'),
    `name: tester
model: claude-test
tools:
  - type: agent_toolset_20260401
    default_config: { enabled: false }
    configs:
      - { name: bash, enabled: true, permission_policy: always_allow }
`,
  );
  const environmentYaml = (name: string, extra: string) =>
    `name: ${name}\nprovider: local\nnetworking:\n  type: limited\n  allowed_hosts: [${hosts.map((h) => `'${h}'`).join(', ')}]\n${extra}`;
  const writeEnvironment = (name: string, extra = '') =>
    writeFileSync(join(ws.agentsDir, 'environments', `${name}.yaml`), environmentYaml(name, extra));
  // The workspace's `local.yaml` is the environment named "default".
  writeFileSync(join(ws.agentsDir, 'environments', 'local.yaml'), environmentYaml('default', ''));
  const env: NodeJS.ProcessEnv = {
    ANTHROPIC_API_KEY: 'sk-test',
    ANTHROPIC_BASE_URL: fake.url,
    THREADHAND_AGENTS_DIR: ws.agentsDir,
    THREADHAND_DATA_DIR: ws.dataDir,
    THREADHAND_LOG_LEVEL: 'debug',
    NODE_EXTRA_CA_CERTS: upstream.caFile,
    PATH: process.env.PATH,
  };
  let printed = '';
  const cli = async (args: string[]): Promise<CliResult> => {
    const t = createTestIo(env);
    const code = await runCli(args, t.io);
    printed += t.out() + t.err();
    return { code, out: t.out(), err: t.err() };
  };
  return {
    ws,
    fake,
    upstream,
    env,
    base: `https://${UPSTREAM_HOST}:${upstream.port}`,
    printed: () => printed,
    cli,
    writeEnvironment,
    async runBash(command, runArgs = []) {
      fake.setScript([
        { content: [{ type: 'tool_use', name: 'bash', input: { command } }] },
        { content: [{ type: 'text', text: 'Done.' }] },
      ]);
      const run = await cli(['run', ...runArgs, 'use the token']);
      const sessionId = /session (sesn_\S+)/.exec(run.out)?.[1] ?? '';
      const eventsJson = sessionId ? (await cli(['sessions', 'show', sessionId, '--json'])).out : '';
      const result = eventsJson
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; content?: { text?: string }[] })
        .find((e) => e.type === 'agent.tool_result');
      const toolOutput = result?.content?.map((c) => c.text ?? '').join('') ?? '';
      return { ...run, toolOutput, eventsJson };
    },
    async close() {
      await upstream.close();
      await fake.close();
      await ws.cleanup();
    },
  };
}
