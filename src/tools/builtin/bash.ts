/**
 * The `bash` tool: a persistent shell over `Sandbox.exec`. Each call is a fresh process, so
 * the shell's state lives in `/workspace/.threadhand/shell-state`: sourced before the command,
 * rewritten (working directory + exported variables) when it exits, whatever the exit path.
 * This survives Threadhand restarts and works on every provider, where a long-lived process
 * would die with the worker and need re-attaching; the price is that non-exported variables,
 * functions and background jobs do not outlive a call.
 */
import { z } from 'zod';
import { shellQuote } from '../../sandbox/paths.js';
import { type ToolResult, textResult } from '../types.js';
import { type BuiltinToolSpec, sandboxOf } from './define.js';

export const SHELL_STATE_PATH = '/workspace/.threadhand/shell-state';

export const BashInput = z.object({
  command: z.string().optional().describe('Shell command to execute. Omit only when `restart` is true.'),
  restart: z
    .boolean()
    .optional()
    .describe('Restart the persistent bash session (fresh working directory and variables).'),
  timeout_ms: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('Per-call timeout in milliseconds (0 or omitted: the default).'),
});

export interface BashToolOptions {
  defaultTimeoutMs: number;
  maxTimeoutMs: number;
  /** Cap per output stream, in bytes (head and tail are kept). */
  maxOutputBytes: number;
}

const COMMAND_VAR = 'THREADHAND_BASH_COMMAND';

/** Wraps a command so it runs in, and then saves, the persistent shell state. */
export function persistentShellScript(): string {
  const state = shellQuote(SHELL_STATE_PATH);
  return [
    `__th_cmd=$${COMMAND_VAR}; unset ${COMMAND_VAR}`,
    // Only what the session changed is saved, so new sandbox defaults (PATH...) still apply.
    '__th_base=$(export -p)',
    `if [ -f ${state} ]; then . ${state} >/dev/null 2>&1 || true; fi`,
    '__th_save() {',
    '  __th_status=$?',
    `  mkdir -p "$(dirname ${state})" 2>/dev/null`,
    '  {',
    `    export -p | grep -Ev '^declare -x (PWD|OLDPWD|SHLVL|_)(=|$)' | grep -vxF -f <(printf '%s\n' "$__th_base")`,
    `    printf 'cd %q 2>/dev/null || true\n' "$PWD"`,
    `  } > ${state}.tmp 2>/dev/null && mv -f ${state}.tmp ${state}`,
    '  return $__th_status',
    '}',
    'trap __th_save EXIT',
    'eval "$__th_cmd"',
  ].join('\n');
}

export function bashTool(options: BashToolOptions): BuiltinToolSpec<typeof BashInput> {
  return {
    name: 'bash',
    description:
      "Run a shell command in the session's sandbox (bash, working directory /workspace). The shell persists between calls: " +
      'the working directory and exported variables carry over. Output streams live; long output is truncated (head and tail kept). ' +
      `Default timeout ${Math.round(options.defaultTimeoutMs / 1000)} s (timeout_ms up to ${Math.round(options.maxTimeoutMs / 1000)} s). ` +
      'Background processes do not outlive the call. Use restart: true to reset the shell.',
    schema: BashInput,
    async run(input, ctx): Promise<ToolResult> {
      const sandbox = await sandboxOf(ctx);
      if (input.restart) {
        await sandbox.exec(`rm -f ${shellQuote(SHELL_STATE_PATH)}`);
        if (!input.command)
          return textResult('Bash session restarted: working directory /workspace, no saved variables.');
      }
      if (!input.command || input.command.trim() === '') {
        return textResult(
          'Provide `command` (the shell command to run), or `restart: true` to reset the shell.',
          true,
        );
      }
      const timeoutMs = Math.min(
        input.timeout_ms ? input.timeout_ms : options.defaultTimeoutMs,
        options.maxTimeoutMs,
      );
      const result = await sandbox.exec(persistentShellScript(), {
        env: { [COMMAND_VAR]: input.command },
        timeoutMs,
        signal: ctx.signal,
        maxOutputBytes: options.maxOutputBytes,
        onStdout: (chunk) => ctx.onProgress(chunk),
        onStderr: (chunk) => ctx.onProgress(chunk),
      });
      const parts: string[] = [];
      if (result.stdout) parts.push(result.stdout.trimEnd());
      if (result.stderr) parts.push(`[stderr]\n${result.stderr.trimEnd()}`);
      if (result.truncated)
        parts.push(
          `[output truncated: more than ${options.maxOutputBytes} bytes on a stream; the middle was cut. Redirect to a file and read parts of it if you need everything.]`,
        );
      if (result.timedOut) {
        parts.push(
          `[command timed out after ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`} and was killed with all its processes; raise timeout_ms or run less at once]`,
        );
        return textResult(parts.join('\n'), true);
      }
      if (result.aborted) {
        parts.push('[command interrupted and killed]');
        return textResult(parts.join('\n'), true);
      }
      parts.push(
        result.exitCode === 0 ? (parts.length === 0 ? '(no output)' : '') : `[exit code ${result.exitCode}]`,
      );
      return textResult(parts.filter((p) => p !== '').join('\n'));
    },
  };
}
