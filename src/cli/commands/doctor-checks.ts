/** The checks behind `threadhand doctor`, as data: what was found and how to fix it. */
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { parseEnv } from '../../config/env.js';
import { ConfigError, loadConfigDir } from '../../config/load.js';
import { checkSandboxPrerequisites } from '../../sandbox/local/doctor.js';

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'info';
  detail: string;
  /** What to do about a warn/fail. */
  fix?: string;
}

export interface DoctorOptions {
  env: NodeJS.ProcessEnv;
  agentsDir: string;
  dataDir: string;
  nodeVersion?: string;
  /** PATH to search for system tools (tests simulate missing ones). */
  pathEnv?: string;
}

const MIN_NODE = [20, 18] as const;

export function checkNode(version: string): Check {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { name: 'Node.js', status: 'ok', detail: version }
    : {
        name: 'Node.js',
        status: 'fail',
        detail: `${version} is too old`,
        fix: `install Node.js ${MIN_NODE.join('.')} or newer (https://nodejs.org or your package manager)`,
      };
}

/** mkdir -p one level at a time (a recursive mkdir under /proc never returns on some Node versions). */
async function ensureDir(dir: string): Promise<void> {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    const found = await stat(at).then(
      () => true,
      () => false,
    );
    if (found || dirname(at) === at) break;
    missing.unshift(at);
    at = dirname(at);
  }
  for (const d of missing) await mkdir(d);
}

async function checkDataDir(dir: string): Promise<Check> {
  const probe = join(dir, `.doctor-${randomBytes(4).toString('hex')}`);
  try {
    await ensureDir(dir);
    await writeFile(probe, 'ok');
    await rm(probe);
    return { name: 'data directory', status: 'ok', detail: `${dir} is writable` };
  } catch (error) {
    return {
      name: 'data directory',
      status: 'fail',
      detail: `${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      fix: 'fix its permissions, or point THREADHAND_DATA_DIR (or --data-dir) at a writable directory',
    };
  }
}

const resp = (...parts: string[]) =>
  `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;

/** PING over the Redis protocol (with AUTH and SELECT from the URL); resolves with the error, or null. */
export function pingRedis(url: string, timeoutMs = 2000): Promise<string | null> {
  return new Promise((resolve) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      resolve('not a valid URL');
      return;
    }
    const port = Number(parsed.port || 6379);
    const host = parsed.hostname || '127.0.0.1';
    const socket: Socket =
      parsed.protocol === 'rediss:'
        ? tlsConnect({ host, port, servername: host })
        : netConnect({ host, port });
    const commands: string[] = [];
    if (parsed.password) {
      const user = decodeURIComponent(parsed.username);
      commands.push(
        user
          ? resp('AUTH', user, decodeURIComponent(parsed.password))
          : resp('AUTH', decodeURIComponent(parsed.password)),
      );
    }
    const db = parsed.pathname.replace('/', '');
    if (db) commands.push(resp('SELECT', db));
    commands.push(resp('PING'));
    let buffer = '';
    const finish = (error: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(error);
    };
    const timer = setTimeout(
      () => finish(`no answer from ${host}:${port} within ${timeoutMs} ms`),
      timeoutMs,
    );
    socket.once('error', (e: NodeJS.ErrnoException) =>
      finish(`${e.code ?? e.message} connecting to ${host}:${port}`),
    );
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const replies = buffer.split('\r\n').filter(Boolean);
      const failed = replies.find((r) => r.startsWith('-'));
      if (failed) finish(failed.slice(1));
      else if (replies.includes('+PONG')) finish(null);
    });
    socket.once('connect', () => socket.write(commands.join('')));
  });
}

export async function runChecks(options: DoctorOptions): Promise<Check[]> {
  const { env } = options;
  const checks: Check[] = [checkNode(options.nodeVersion ?? process.version)];

  for (const tool of checkSandboxPrerequisites(options.pathEnv)) {
    checks.push(
      tool.ok
        ? { name: tool.name, status: 'ok', detail: 'found' }
        : { name: tool.name, status: 'fail', detail: 'not found', fix: tool.fix },
    );
  }

  const parsed = parseEnv(env);
  if (parsed.ok) {
    const how = env.ANTHROPIC_API_KEY ? 'ANTHROPIC_API_KEY is set' : 'ANTHROPIC_AUTH_TOKEN is set';
    checks.push({
      name: 'Anthropic API',
      status: 'ok',
      detail: `${how}${env.ANTHROPIC_BASE_URL ? `, base URL ${env.ANTHROPIC_BASE_URL}` : ''}`,
    });
  } else {
    for (const problem of parsed.problems) {
      const [name] = problem.split(' ');
      checks.push({ name: name ?? 'environment', status: 'fail', detail: problem });
    }
  }

  let usesE2b = false;
  try {
    const { agents, environments } = await loadConfigDir(options.agentsDir);
    usesE2b = environments.some((e) => e.provider === 'e2b');
    checks.push({
      name: 'agents',
      status: 'ok',
      detail: `${agents.length} agent(s), ${environments.length} environment(s) in ${options.agentsDir}`,
    });
    if (agents.length === 0) {
      checks.push({
        name: 'agents',
        status: 'warn',
        detail: `no agents in ${options.agentsDir}`,
        fix: 'add an agent YAML (see docs/agents.md) or run from the project directory',
      });
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.push({
      name: 'agents',
      status: 'fail',
      detail: `invalid configuration:\n${error.message}`,
      fix: 'fix the fields named above (see docs/agents.md)',
    });
  }

  checks.push(await checkDataDir(options.dataDir));

  const redisUrl = env.THREADHAND_REDIS_URL?.trim();
  if (redisUrl) {
    const error = await pingRedis(redisUrl);
    checks.push(
      error === null
        ? { name: 'Redis', status: 'ok', detail: `answers at ${redisUrl.replace(/\/\/[^@]*@/, '//***@')}` }
        : {
            name: 'Redis',
            status: 'fail',
            detail: error,
            fix: 'start Redis (e.g. `redis-server --daemonize yes`) or fix THREADHAND_REDIS_URL',
          },
    );
  } else {
    checks.push({
      name: 'Redis',
      status: 'info',
      detail: 'not configured: embedded SQLite mode (set THREADHAND_REDIS_URL to scale out)',
    });
  }

  checks.push(
    env.SLACK_BOT_TOKEN
      ? {
          name: 'Slack',
          status: 'info',
          detail: `enabled (${env.SLACK_APP_TOKEN ? 'Socket Mode' : 'HTTP events at /slack/events'})`,
        }
      : {
          name: 'Slack',
          status: 'info',
          detail: 'not configured (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET or SLACK_APP_TOKEN)',
        },
  );
  checks.push(
    env.DISCORD_TOKEN
      ? { name: 'Discord', status: 'info', detail: 'enabled' }
      : { name: 'Discord', status: 'info', detail: 'not configured (set DISCORD_TOKEN)' },
  );
  if (env.E2B_API_KEY) checks.push({ name: 'E2B', status: 'info', detail: 'enabled (E2B_API_KEY is set)' });
  else if (usesE2b) {
    checks.push({
      name: 'E2B',
      status: 'warn',
      detail: 'an environment uses provider e2b but E2B_API_KEY is not set',
      fix: 'export E2B_API_KEY (https://e2b.dev) or use the local provider',
    });
  } else
    checks.push({
      name: 'E2B',
      status: 'info',
      detail: 'not configured (set E2B_API_KEY for cloud sandboxes)',
    });

  return checks;
}
