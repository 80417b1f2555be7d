/**
 * End to end through the CLI: a vault secret used by curl inside a real local (bubblewrap)
 * sandbox. The upstream sees the real value; the sandbox, the events, the logs, the CLI output
 * and the data directory never hold it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { createTestIo, createWorkspace } from '../cli/helpers.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { startTestUpstream, type TestUpstream } from './helpers.js';

const SECRET = `ghp_${Math.random().toString(36).slice(2)}RealSecretValue${Date.now()}`;
const ALLOWED = '127.0.0.2';
const OTHER = '127.0.0.3';

function requireTools(): void {
  for (const tool of ['bwrap', 'curl', 'socat']) {
    try {
      execFileSync('which', [tool]);
    } catch {
      throw new Error(
        `${tool} is not installed: apt-get install -y bubblewrap curl socat (scripts/setup.sh)`,
      );
    }
  }
}

/** Every file under `dir` whose bytes contain `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  const walk = (path: string) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) walk(join(path, entry));
    } else if (stat.isFile() && readFileSync(path).includes(needle)) found.push(path);
  };
  walk(dir);
  return found;
}

let fake: FakeAnthropic;
let ws: Awaited<ReturnType<typeof createWorkspace>>;
let upstream: TestUpstream;
let env: NodeJS.ProcessEnv;
let cliText = '';
let runOut = '';
let runErr = '';
let eventsJson = '';

beforeAll(async () => {
  requireTools();
  fake = await startFakeAnthropic({ apiKey: 'sk-test' });
  ws = await createWorkspace();
  upstream = await startTestUpstream(ws.root, [ALLOWED, OTHER]);
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
  writeFileSync(
    join(ws.agentsDir, 'environments', 'local.yaml'),
    `name: default\nprovider: local\nnetworking:\n  type: limited\n  allowed_hosts: ['${ALLOWED}', '${OTHER}']\n`,
  );
  env = {
    ANTHROPIC_API_KEY: 'sk-test',
    ANTHROPIC_BASE_URL: fake.url,
    THREADHAND_AGENTS_DIR: ws.agentsDir,
    THREADHAND_DATA_DIR: ws.dataDir,
    THREADHAND_LOG_LEVEL: 'debug',
    NODE_EXTRA_CA_CERTS: upstream.caFile,
    PATH: process.env.PATH,
  };
  const cli = async (args: string[]) => {
    const t = createTestIo(env);
    const code = await runCli(args, t.io);
    cliText += t.out() + t.err();
    return { code, out: t.out(), err: t.err() };
  };
  expect((await cli(['vault', 'create', 'default'])).code).toBe(0);
  const added = await cli(['vault', 'add', 'default', 'GITHUB_TOKEN', '--host', ALLOWED, '--value', SECRET]);
  expect(added.err).not.toContain('Error');
  expect(added.code).toBe(0);

  const base = `https://${ALLOWED}:${upstream.port}`;
  const command = [
    `curl -sS -H "Authorization: Bearer $GITHUB_TOKEN" ${base}/user; echo "allowed_exit=$?"`,
    // git-style Basic auth (user:token) is swapped too.
    `curl -sS -u "x-access-token:$GITHUB_TOKEN" ${base}/basic >/dev/null; echo "basic_exit=$?"`,
    `GIT_TERMINAL_PROMPT=0 git ls-remote "https://x-access-token:$GITHUB_TOKEN@${ALLOWED}:${upstream.port}/me/private.git"; echo "git_exit=$?"`,
    `curl -sS -o /dev/null -w 'other_status=%{http_code}\\n' -H "Authorization: Bearer $GITHUB_TOKEN" https://${OTHER}:${upstream.port}/leak`,
    `curl -sS --noproxy '*' --max-time 5 ${base}/direct; echo "direct_exit=$?"`,
    'sleep 30 >/dev/null 2>&1 & echo "==dump=="',
    // The secret starts with ghp_: every line mentioning it or the placeholder, from the
    // environment, every process's environ and argv, and every small file outside /usr.
    'env | grep -E "placeholder|ghp_|SSL_CERT_FILE"',
    "for f in /proc/[0-9]*/environ /proc/[0-9]*/cmdline; do tr '\\0' '\\n' < $f; done 2>/dev/null | grep -E 'placeholder|ghp_' | sort -u",
    'find / -xdev \\( -path /proc -o -path /sys -o -path /usr \\) -prune -o -type f -size -2M -print0 2>/dev/null | xargs -0 cat 2>/dev/null | strings | grep -E "placeholder|ghp_" | sort -u | head -50',
    'echo "==end=="; kill %1',
  ].join('\n');
  fake.setScript([
    { content: [{ type: 'tool_use', name: 'bash', input: { command } }] },
    { content: [{ type: 'text', text: 'Done with the token.' }] },
  ]);
  const run = await cli(['run', 'use the GitHub token']);
  runOut = run.out;
  runErr = run.err;
  expect(run.code).toBe(0);
  const sessionId = /session (sesn_\S+)/.exec(run.out)?.[1] ?? '';
  const show = await cli(['sessions', 'show', sessionId, '--json']);
  eventsJson = show.out;
}, 120_000);

afterAll(async () => {
  await upstream?.close();
  await fake?.close();
  await ws?.cleanup();
});

const toolOutput = () => {
  const result = eventsJson
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; content?: { text?: string }[] })
    .find((e) => e.type === 'agent.tool_result');
  return result?.content?.map((c) => c.text ?? '').join('') ?? '';
};

describe('credentials through the egress proxy (real bubblewrap sandbox, real curl)', () => {
  it('the allowed host receives the real secret, in a Bearer header and in Basic auth', () => {
    const output = toolOutput();
    expect(output).toContain(`hello from ${ALLOWED}`);
    expect(output).toContain('allowed_exit=0');
    expect(output).toContain('basic_exit=0');
    const user = upstream.requests.find((r) => r.path === '/user');
    expect(user?.authorization).toBe(`Bearer ${SECRET}`);
    const basic = upstream.requests.find((r) => r.path === '/basic');
    expect(basic?.authorization).toBe(`Basic ${Buffer.from(`x-access-token:${SECRET}`).toString('base64')}`);
  });

  it('git authenticates with the real token (Basic auth after a 401 challenge)', () => {
    expect(toolOutput()).toContain('git_exit=0');
    const git = upstream.requests.filter((r) => r.path.includes('/info/refs') && r.authorization);
    expect(git.map((r) => r.authorization)).toContain(
      `Basic ${Buffer.from(`x-access-token:${SECRET}`).toString('base64')}`,
    );
  });

  it('the placeholder sent to another host never arrives and is recorded as session.egress_denied', () => {
    expect(toolOutput()).toContain('other_status=403');
    expect(upstream.requests.filter((r) => r.host === OTHER)).toEqual([]);
    const denial = eventsJson
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; host?: string; reason?: string })
      .find((e) => e.type === 'session.egress_denied');
    expect(denial?.host).toBe(OTHER);
    expect(denial?.reason).toContain('GITHUB_TOKEN');
  });

  it('a direct connection that bypasses the proxy fails', () => {
    expect(toolOutput()).toMatch(/direct_exit=[1-9]/);
    expect(upstream.requests.some((r) => r.path === '/direct')).toBe(false);
  });

  it("the sandbox's env, /proc and files hold only the placeholder", () => {
    const dump = toolOutput().split('==dump==')[1] ?? '';
    expect(dump).toContain('==end==');
    expect(dump).toMatch(/GITHUB_TOKEN=threadhand-placeholder-[0-9a-f]{40}/);
    expect(dump).toContain('SSL_CERT_FILE=/tmp/.threadhand/ca-bundle.pem');
    expect(dump).not.toContain(SECRET);
  });

  it("Threadhand's logs, events and CLI output never contain the secret", () => {
    expect(runErr).toContain('"level":20'); // debug logs were captured
    expect(eventsJson).toContain('agent.tool_result');
    expect(cliText).toContain('GITHUB_TOKEN');
    expect(cliText).not.toContain(SECRET);
    expect(runOut + runErr).not.toContain(SECRET);
    expect(eventsJson).not.toContain(SECRET);
    expect(JSON.stringify(fake.requests)).not.toContain(SECRET);
  });

  it('the data directory (vault db, workspaces) never holds the value in plain text', () => {
    expect(filesContaining(ws.dataDir, 'vault_secret').length).toBeGreaterThan(0);
    expect(filesContaining(ws.dataDir, SECRET)).toEqual([]);
    expect(statSync(join(ws.dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
  });
});
