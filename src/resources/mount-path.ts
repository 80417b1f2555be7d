import { posix } from 'node:path';
import { WORKSPACE_ROOT } from '../sandbox/types.js';

/**
 * Where a resource goes in the sandbox: relative paths resolve against /workspace; the result
 * must lie strictly inside /workspace (the only directory every provider keeps). Returns the
 * absolute path, or what is wrong with it.
 */
export function resolveMountPath(path: string): { path: string } | { error: string } {
  const trimmed = path.trim();
  if (trimmed === '') return { error: 'must not be empty' };
  if (trimmed.includes('\0')) return { error: 'must not contain NUL' };
  const absolute = posix.normalize(posix.isAbsolute(trimmed) ? trimmed : posix.join(WORKSPACE_ROOT, trimmed));
  const clean = absolute.length > 1 ? absolute.replace(/\/+$/, '') : absolute;
  if (!clean.startsWith(`${WORKSPACE_ROOT}/`))
    return {
      error: `must be a path inside ${WORKSPACE_ROOT} (relative to it or absolute under it), got "${path}"`,
    };
  return { path: clean };
}

/** `/workspace/uploads/<filename>`: where a file goes when no mount_path is given. */
export function defaultFileMountPath(filename: string): string {
  const base = posix.basename(filename.replace(/\\/g, '/')).replace(/^\.+$/, '') || 'file';
  return posix.join(WORKSPACE_ROOT, 'uploads', base);
}

/** `/workspace/<repository name>`: where a repository goes when no mount_path is given. */
export function defaultRepositoryMountPath(url: string): string {
  const last =
    url
      .replace(/[?#].*$/, '')
      .replace(/\/+$/, '')
      .split(/[/:]/)
      .pop() ?? '';
  const name =
    last
      .replace(/\.git$/, '')
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^\.+/, '') || 'repository';
  return posix.join(WORKSPACE_ROOT, name);
}
