/** Host prerequisites of the local sandbox, as data for `threadhand doctor`. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

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

/** One entry per tool the local sandbox needs; `pathEnv` lets tests simulate a missing one. */
export function checkSandboxPrerequisites(pathEnv?: string): PrerequisiteCheck[] {
  return PREREQUISITES.map(({ name, pkg, why }) => {
    const ok = findExecutable(name, pathEnv) !== undefined;
    return { name, ok, fix: ok ? '' : `${name} (${why}) is missing: sudo apt-get install -y ${pkg}` };
  });
}
