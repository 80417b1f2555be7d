import { posix } from 'node:path';
import { WORKSPACE_ROOT } from './types.js';

/** An absolute path inside the sandbox: relative paths resolve against `/workspace`. */
export function resolveSandboxPath(path: string, base: string = WORKSPACE_ROOT): string {
  const trimmed = path.trim();
  if (trimmed === '' || trimmed === '.') return posix.normalize(base);
  return posix.isAbsolute(trimmed) ? posix.normalize(trimmed) : posix.join(base, trimmed);
}

/** Quotes a string for a POSIX shell (single quotes, safe for any content). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
