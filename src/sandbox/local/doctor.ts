/** Host prerequisites of the local sandbox, as data for `threadhand doctor`. */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { systemArgs } from './bwrap-args.js';

export interface PrerequisiteCheck {
  name: string;
  ok: boolean;
  /** What to run when `ok` is false (empty when ok). */
  fix: string;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The absolute path of an executable on PATH (or the usual system dirs), if any. */
export function findExecutable(name: string, pathEnv?: string): string | undefined {
  const dirs =
    pathEnv !== undefined
      ? pathEnv.split(delimiter)
      : [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

const PREREQUISITES = [
  { name: 'bwrap', pkg: 'bubblewrap', why: 'runs the local sandbox' },
  { name: 'socat', pkg: 'socat', why: 'bridges limited-network sandboxes to the egress proxy' },
  { name: 'rg', pkg: 'ripgrep', why: 'powers the grep tool' },
] as const;

/**
 * Whether bwrap can actually create the namespaces the sandbox uses (user namespaces are
 * often restricted: Ubuntu 24.04's AppArmor default, Docker's seccomp profile).
 */
export function checkBwrapWorks(bwrapPath: string): PrerequisiteCheck {
  const args = [
    '--unshare-user',
    '--uid',
    '0',
    '--gid',
    '0',
    '--unshare-pid',
    '--unshare-net',
    ...systemArgs(),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    '--',
    '/bin/true',
  ];
  const result = spawnSync(bwrapPath, args, { env: {}, timeout: 10_000, encoding: 'utf8' });
  if (result.status === 0) return { name: 'bwrap sandbox', ok: true, fix: '' };
  const why = (result.stderr || result.error?.message || `exit ${result.status}`).trim();
  return {
    name: 'bwrap sandbox',
    ok: false,
    fix:
      `bwrap cannot create the sandbox's namespaces here (${why}). On Ubuntu 24.04+: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0; ` +
      'in a container: allow user namespaces (e.g. --security-opt seccomp=unconfined); or use an environment with provider: e2b.',
  };
}

/** One entry per tool the local sandbox needs; `pathEnv` lets tests simulate a missing one. */
export function checkSandboxPrerequisites(pathEnv?: string): PrerequisiteCheck[] {
  return PREREQUISITES.flatMap(({ name, pkg, why }) => {
    const path = findExecutable(name, pathEnv);
    const found: PrerequisiteCheck = {
      name,
      ok: path !== undefined,
      fix: path ? '' : `${name} (${why}) is missing: sudo apt-get install -y ${pkg}`,
    };
    return name === 'bwrap' && path ? [found, checkBwrapWorks(path)] : [found];
  });
}
