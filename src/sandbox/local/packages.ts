/**
 * Environment packages for the local provider. apt packages must already be on the host (we
 * check and name the install command); npm and pip packages are installed once per
 * environment (keyed by the package lists) inside a bubblewrap sandbox, into a cache directory
 * that every session of that environment then sees read-only at /opt/threadhand/env.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EnvironmentConfig } from '../../config/schema.js';
import type { Logger } from '../../logging.js';
import { shellQuote } from '../paths.js';
import { SandboxError } from '../types.js';
import { bwrapArgs, ENV_PACKAGES_DIR } from './bwrap-args.js';
import { runProcess } from './run-process.js';

const execFileAsync = promisify(execFile);

/** The apt packages (from the list) that are not installed on this host. */
export async function missingAptPackages(packages: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of packages) {
    const pkg = name.split('=')[0]?.trim() ?? name;
    try {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template
      const { stdout } = await execFileAsync('dpkg-query', ['-W', '-f=${db:Status-Status}', pkg]);
      if (stdout.trim() !== 'installed') missing.push(name);
    } catch {
      missing.push(name);
    }
  }
  return missing;
}

export function aptMissingMessage(environment: string, missing: readonly string[]): string {
  return (
    `Environment "${environment}" needs apt packages that are not installed on this host: ${missing.join(', ')}. ` +
    `The local sandbox uses the host's system packages; install them with: sudo apt-get install -y ${missing.join(' ')}`
  );
}

/** PATH entries and variables that make installed environment packages usable. */
export function envPackagesVars(hasPackages: boolean): { path: string[]; vars: Record<string, string> } {
  if (!hasPackages) return { path: [], vars: {} };
  return {
    path: [`${ENV_PACKAGES_DIR}/npm/node_modules/.bin`, `${ENV_PACKAGES_DIR}/pip/bin`],
    vars: { NODE_PATH: `${ENV_PACKAGES_DIR}/npm/node_modules`, PYTHONPATH: `${ENV_PACKAGES_DIR}/pip` },
  };
}

export interface EnsurePackagesOptions {
  dataDir: string;
  environment: EnvironmentConfig;
  bwrapPath: string;
  logger: Logger;
  /** Variables for the installers (e.g. `npm_config_registry`, `PIP_INDEX_URL`). */
  installEnv?: Record<string, string>;
  timeoutMs?: number;
  /** Installs in flight in this process, by directory (owned by the provider). */
  inflight: Map<string, Promise<string | undefined>>;
}

/** The cache key of an environment's npm/pip packages, or undefined when it has none. */
export function envPackagesKey(environment: EnvironmentConfig): string | undefined {
  const { npm, pip } = environment.packages;
  if (npm.length === 0 && pip.length === 0) return undefined;
  const hash = createHash('sha256').update(JSON.stringify({ npm, pip })).digest('hex').slice(0, 16);
  return `${environment.name}-${hash}`;
}

/** Installs (once) and returns the host directory of the environment's packages. */
export function ensureEnvPackages(options: EnsurePackagesOptions): Promise<string | undefined> {
  const key = envPackagesKey(options.environment);
  if (!key) return Promise.resolve(undefined);
  const dir = join(options.dataDir, 'envs', key);
  if (existsSync(join(dir, '.complete'))) return Promise.resolve(dir);
  const { inflight } = options;
  let job = inflight.get(dir);
  if (!job) {
    job = install(options, dir).finally(() => inflight.delete(dir));
    inflight.set(dir, job);
  }
  return job;
}

async function install(options: EnsurePackagesOptions, dir: string): Promise<string> {
  const { environment, logger } = options;
  const { npm, pip } = environment.packages;
  const root = join(options.dataDir, 'envs');
  const staging = join(root, `.staging-${randomBytes(6).toString('hex')}`);
  const scratch = join(root, `.scratch-${randomBytes(6).toString('hex')}`);
  mkdirSync(staging, { recursive: true });
  mkdirSync(join(scratch, 'tmp'), { recursive: true });
  const steps = ['set -e', `mkdir -p ${ENV_PACKAGES_DIR}/npm ${ENV_PACKAGES_DIR}/pip`];
  if (npm.length > 0) {
    steps.push(
      `npm install --prefix ${ENV_PACKAGES_DIR}/npm --no-audit --no-fund --loglevel=error ${npm.map(shellQuote).join(' ')}`,
    );
  }
  if (pip.length > 0) {
    steps.push(
      `python3 -m pip install --target ${ENV_PACKAGES_DIR}/pip --no-input --disable-pip-version-check --no-warn-script-location ${pip.map(shellQuote).join(' ')}`,
    );
  }
  logger.info({ environment: environment.name, npm, pip }, 'installing environment packages');
  try {
    const result = await runProcess(
      options.bwrapPath,
      bwrapArgs(
        {
          workspaceDir: scratch,
          tmpDir: join(scratch, 'tmp'),
          writableBinds: [{ host: staging, sandbox: ENV_PACKAGES_DIR }],
          network: { mode: 'host' },
          cwd: '/workspace',
          login: false,
          env: {
            PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
            HOME: '/tmp',
            LANG: 'C.UTF-8',
            TMPDIR: '/tmp',
            npm_config_cache: '/tmp/.npm',
            npm_config_update_notifier: 'false',
            PIP_CACHE_DIR: '/tmp/.pip',
            ...options.installEnv,
          },
        },
        steps.join('\n'),
      ),
      { env: {}, maxOutputBytes: 64 * 1024, timeoutMs: options.timeoutMs ?? 10 * 60_000 },
    );
    if (result.exitCode !== 0) {
      const detail = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-15).join('\n');
      throw new SandboxError(
        'package_install_failed',
        `Installing packages for environment "${environment.name}" failed (exit ${result.exitCode}${result.timedOut ? ', timed out' : ''}):\n${detail}`,
      );
    }
    writeFileSync(join(staging, '.complete'), new Date().toISOString());
    try {
      renameSync(staging, dir);
    } catch (error) {
      // Another process finished the same environment first; theirs is as good as ours.
      if (!existsSync(join(dir, '.complete'))) throw error;
    }
    logger.info(
      { environment: environment.name, durationMs: Math.round(result.durationMs) },
      'environment packages installed',
    );
    return dir;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}
