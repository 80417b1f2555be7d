import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BranchCheckout, CommitCheckout } from './types.js';

export interface CloneOptions {
  url: string;
  /** Sent as an `Authorization` header on the clone's HTTP requests only. */
  token?: string;
  checkout: BranchCheckout | CommitCheckout | null;
  timeoutMs?: number;
}

/** Clones a repository on the host; returns the tree (with `.git`) as a tar archive. */
export type CloneRepository = (options: CloneOptions) => Promise<Buffer>;

export class CloneError extends Error {
  readonly code = 'clone_failed';
  constructor(message: string) {
    super(message);
    this.name = 'CloneError';
  }
}

/** GitHub takes a token as basic auth (`x-access-token`); other servers get a bearer token. */
export function authorizationHeader(url: string, token: string): string {
  let host = '';
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    // not a URL git understands over HTTP: the header is never sent anyway
  }
  if (host === 'github.com' || host.endsWith('.github.com'))
    return `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  return `Authorization: Bearer ${token}`;
}

/**
 * The git environment: no system or user config (no credential helpers, no host defaults),
 * no prompts, only http(s) and file transports. The token travels as configuration in the
 * environment (`GIT_CONFIG_*`), which git applies to this command only: it is not in the
 * process arguments and never written to the clone's `.git/config`.
 */
function gitEnv(home: string, url: string, token: string | undefined): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ALLOW_PROTOCOL: 'http:https:file',
    ...(token
      ? {
          GIT_CONFIG_COUNT: '1',
          GIT_CONFIG_KEY_0: 'http.extraHeader',
          GIT_CONFIG_VALUE_0: authorizationHeader(url, token),
        }
      : {}),
  };
}

function run(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs,
        encoding: 'buffer',
        maxBuffer: 2 ** 31 - 1,
      },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stderrText: stderr.toString('utf8') }));
        else resolve(stdout);
      },
    );
  });
}

/** Clones with the host's `git` into a temporary directory, checks out, and tars the tree. */
export const cloneRepository: CloneRepository = async ({ url, token, checkout, timeoutMs = 300_000 }) => {
  const dir = await mkdtemp(join(tmpdir(), 'threadhand-clone-'));
  const env = gitEnv(dir, url, token);
  const scrub = (text: string) => (token ? text.split(token).join('[redacted]') : text).trim();
  const step = async (what: string, command: string, args: string[], cwd: string) => {
    try {
      return await run(command, args, { cwd, env, timeoutMs });
    } catch (error) {
      const detail = (error as { stderrText?: string }).stderrText || (error as Error).message;
      throw new CloneError(`${what} failed: ${scrub(detail).split('\n').slice(-3).join(' ')}`);
    }
  };
  try {
    const repo = join(dir, 'repo');
    const branch = checkout?.type === 'branch' ? ['--branch', checkout.name] : [];
    await step('git clone', 'git', ['clone', '--quiet', '--no-hardlinks', ...branch, '--', url, repo], dir);
    if (checkout?.type === 'commit')
      await step(
        `checking out ${checkout.sha}`,
        'git',
        ['checkout', '--quiet', '--detach', checkout.sha],
        repo,
      );
    return await step('packing the clone', 'tar', ['-cf', '-', '-C', repo, '.'], dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};
