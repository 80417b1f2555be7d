/** The `glob` and `grep` tools: ripgrep inside the sandbox (with a find/grep fallback). */
import { posix } from 'node:path';
import { z } from 'zod';
import { resolveSandboxPath, shellQuote } from '../../sandbox/paths.js';
import { type ToolResult, textResult } from '../types.js';
import { type BuiltinToolSpec, clip, sandboxOf } from './define.js';

export const GlobInput = z.object({
  pattern: z.string().min(1).describe('Doublestar glob pattern, e.g. `**/*.ts` or `src/*.{js,ts}`.'),
  path: z.string().optional().describe('Directory to search under (default /workspace).'),
});

export const GrepInput = z.object({
  pattern: z.string().min(1).describe('Regular expression (ripgrep syntax) to search for.'),
  path: z.string().optional().describe('File or directory to search (default /workspace).'),
});

export interface SearchToolOptions {
  maxGlobResults: number;
  maxOutputChars: number;
}

const GLOB_CHARS = /[*?[{]/;
const NO_DIR = 3;

/** A RegExp for a doublestar glob over `/`-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        out += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else {
        out += '[^/]*';
      }
    } else if (c === '?') out += '[^/]';
    else if (c === '{') {
      braces += 1;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces -= 1;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close === -1) out += '\\[';
      else {
        const body = glob
          .slice(i + 1, close)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        out += `[${body}]`;
        i = close;
      }
    } else out += /[.+^$()|\\/]/.test(c) ? `\\${c}` : c;
  }
  return new RegExp(`^${out}$`);
}

/** Splits an absolute pattern into its literal directory and the globbed rest. */
function splitAbsolute(pattern: string): { root: string; rest: string } {
  const segments = pattern.split('/');
  const literal: string[] = [];
  while (segments.length > 1 && !GLOB_CHARS.test(segments[0] as string))
    literal.push(segments.shift() as string);
  return { root: literal.join('/') || '/', rest: segments.join('/') };
}

export function globTool(options: SearchToolOptions): BuiltinToolSpec<typeof GlobInput> {
  return {
    name: 'glob',
    description:
      `Find files by glob pattern (\`**\` crosses directories), newest first, up to ${options.maxGlobResults} paths. ` +
      'Skips .git and files ignored by .gitignore.',
    schema: GlobInput,
    async run(input, ctx): Promise<ToolResult> {
      const sandbox = await sandboxOf(ctx);
      let root = resolveSandboxPath(input.path ?? '/workspace');
      let pattern = input.pattern.replace(/^\.\//, '');
      if (pattern.startsWith('/')) ({ root, rest: pattern } = splitAbsolute(pattern));
      const matcher = globToRegExp(pattern);
      const script = [
        `cd ${shellQuote(root)} 2>/dev/null || exit ${NO_DIR}`,
        'if command -v rg >/dev/null 2>&1; then',
        "  rg --files --hidden --no-messages -g '!.git/' -g '!.threadhand/' -0 | xargs -0 -r stat --printf '%Y\\t%n\\0'",
        'else',
        "  find . -type f -not -path './.git/*' -not -path './.threadhand/*' -printf '%T@\\t%P\\0'",
        'fi',
      ].join('\n');
      const result = await sandbox.exec(script, {
        signal: ctx.signal,
        timeoutMs: 60_000,
        maxOutputBytes: 32 * 1024 * 1024,
      });
      if (result.exitCode === NO_DIR) return textResult(`${root} is not a directory.`, true);
      if (result.timedOut || result.aborted)
        return textResult('glob did not finish (timed out or interrupted); narrow the path.', true);
      const matches: Array<{ path: string; mtime: number }> = [];
      for (const record of result.stdout.split('\0')) {
        const tab = record.indexOf('\t');
        if (tab === -1) continue;
        const rel = record.slice(tab + 1).replace(/^\.\//, '');
        if (matcher.test(rel))
          matches.push({ path: posix.join(root, rel), mtime: Number(record.slice(0, tab)) });
      }
      if (matches.length === 0) return textResult(`No files match ${input.pattern} under ${root}.`);
      matches.sort((a, b) => b.mtime - a.mtime || a.path.localeCompare(b.path));
      const shown = matches.slice(0, options.maxGlobResults).map((m) => m.path);
      const note =
        matches.length > shown.length
          ? `\n[${matches.length - shown.length} more matches not shown; narrow the pattern]`
          : '';
      return textResult(shown.join('\n') + note);
    },
  };
}

export function grepTool(options: SearchToolOptions): BuiltinToolSpec<typeof GrepInput> {
  return {
    name: 'grep',
    description:
      'Search file contents with a regular expression (ripgrep). Returns matching lines as path:line:text. ' +
      'Skips .git and files ignored by .gitignore.',
    schema: GrepInput,
    async run(input, ctx): Promise<ToolResult> {
      const sandbox = await sandboxOf(ctx);
      const target = resolveSandboxPath(input.path ?? '/workspace');
      const p = shellQuote(input.pattern);
      const t = shellQuote(target);
      const script = [
        `[ -e ${t} ] || { echo "${target.replace(/["$`\\]/g, '')} does not exist" >&2; exit 2; }`,
        'if command -v rg >/dev/null 2>&1; then',
        `  exec rg --line-number --with-filename --no-heading --color=never --hidden -g '!.git/' -g '!.threadhand/' --max-columns=400 --max-columns-preview -e ${p} -- ${t}`,
        'else',
        `  exec grep -rnIE --exclude-dir=.git --exclude-dir=.threadhand -e ${p} -- ${t}`,
        'fi',
      ].join('\n');
      const result = await sandbox.exec(script, {
        signal: ctx.signal,
        timeoutMs: 60_000,
        maxOutputBytes: 4 * 1024 * 1024,
      });
      if (result.timedOut || result.aborted)
        return textResult(
          'grep did not finish (timed out or interrupted); narrow the path or pattern.',
          true,
        );
      if (result.exitCode === 1 && result.stdout === '')
        return textResult(`No matches for /${input.pattern}/ in ${target}.`);
      if (result.exitCode !== 0 && result.stdout === '') {
        return textResult(`grep failed: ${result.stderr.trim() || `exit code ${result.exitCode}`}`, true);
      }
      const lines = result.stdout.trimEnd().split('\n');
      const { text, clipped } = clip(lines.join('\n'), options.maxOutputChars);
      const note =
        clipped || result.truncated
          ? `\n[${lines.length} matching lines; output truncated, narrow the search]`
          : '';
      return textResult(text + note);
    },
  };
}
