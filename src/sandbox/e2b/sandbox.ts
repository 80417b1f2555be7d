/**
 * The Sandbox port over one session's E2B sandbox: commands through envd's process service
 * (`bash -l -c`, streamed output, killed on timeout or abort), files through the SDK's
 * filesystem API, everything rooted at `/workspace`.
 */
import { CommandExitError, type CommandHandle } from 'e2b';
import { createOutputBuffer } from '../output-buffer.js';
import { resolveSandboxPath } from '../paths.js';
import {
  type ExecOptions,
  type ExecResult,
  type FileEntry,
  type Sandbox,
  SandboxError,
  WORKSPACE_ROOT,
} from '../types.js';
import { translateE2BError } from './errors.js';
import type { Lifecycle } from './lifecycle.js';

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Exit code reported when the command was killed (timeout, abort): 128 + SIGKILL, as locally. */
export const KILLED_EXIT_CODE = 137;
/** After a kill, how long to wait for envd's end event before resolving anyway. */
const KILL_GRACE_MS = 2000;

export interface E2BSandbox extends Sandbox {
  /** The E2B sandbox id right now (changes when a vanished sandbox is re-created). */
  readonly sandboxId: string | undefined;
}

function safeCall(sink: ((chunk: string) => void) | undefined, text: string): void {
  if (!sink || text === '') return;
  try {
    sink(text);
  } catch {
    // A failing progress sink must not break the command.
  }
}

function killedResult(started: number, aborted: boolean): ExecResult {
  return {
    exitCode: KILLED_EXIT_CODE,
    stdout: '',
    stderr: '',
    timedOut: false,
    aborted,
    truncated: false,
    durationMs: performance.now() - started,
  };
}

async function runCommand(lifecycle: Lifecycle, command: string, options: ExecOptions): Promise<ExecResult> {
  const started = performance.now();
  const maxBytes = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const out = createOutputBuffer(maxBytes);
  const err = createOutputBuffer(maxBytes);
  const sink = (buffer: typeof out, forward: ((chunk: string) => void) | undefined) => {
    let streamed = 0;
    let notified = false;
    return (chunk: string): void => {
      const bytes = Buffer.from(chunk);
      buffer.push(bytes);
      if (streamed < maxBytes) {
        streamed += bytes.length;
        safeCall(forward, chunk);
      } else if (!notified) {
        notified = true;
        safeCall(forward, '\n[... output cap reached; the rest is not shown live ...]\n');
      }
    };
  };
  const onStdout = sink(out, options.onStdout);
  const onStderr = sink(err, options.onStderr);
  const cwd = resolveSandboxPath(options.cwd ?? WORKSPACE_ROOT);
  // Start (retried once if the sandbox turns out gone); once it runs, a failure is final.
  const handle: CommandHandle = await lifecycle.live(`run a command`, (sdk) =>
    sdk.commands.run(command, { background: true, cwd, envs: options.env, timeoutMs: 0, onStdout, onStderr }),
  );

  let timedOut = false;
  let aborted = false;
  let graceTimer: NodeJS.Timeout | undefined;
  let resolveGrace: (code: number) => void = () => undefined;
  const grace = new Promise<number>((resolve) => {
    resolveGrace = resolve;
  });
  const kill = (): void => {
    void handle.kill().catch(() => false);
    graceTimer ??= setTimeout(() => {
      void handle.disconnect();
      resolveGrace(KILLED_EXIT_CODE);
    }, KILL_GRACE_MS);
  };
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  const timer =
    options.timeoutMs !== undefined && options.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, options.timeoutMs)
      : undefined;
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const finished = handle.wait().then(
    (result) => result.exitCode,
    (error: unknown) => {
      if (error instanceof CommandExitError) return error.exitCode;
      if (timedOut || aborted) return KILLED_EXIT_CODE;
      throw error;
    },
  );
  try {
    const code = await Promise.race([finished, grace]);
    return {
      exitCode: timedOut || aborted ? KILLED_EXIT_CODE : code,
      stdout: out.text(),
      stderr: err.text(),
      timedOut,
      aborted,
      truncated: out.truncated || err.truncated,
      durationMs: performance.now() - started,
    };
  } catch (error) {
    // The stream broke mid-command (sandbox gone, network): say so; the next call recovers.
    throw translateE2BError(error, { action: 'finish the command', sandboxId: lifecycle.sandboxId });
  } finally {
    if (timer) clearTimeout(timer);
    if (graceTimer) clearTimeout(graceTimer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/** Turns "is a directory" / "not a directory" answers into the port's error codes. */
function fileError(error: unknown, path: string, expect: 'file' | 'dir'): unknown {
  if (error instanceof SandboxError && error.code === 'not_found')
    return new SandboxError('not_found', `${path} does not exist.`);
  const message = error instanceof Error ? error.message : '';
  if (expect === 'file' && /is a directory/i.test(message)) {
    return new SandboxError('not_a_file', `${path} is a directory, not a file.`);
  }
  if (expect === 'dir' && /not a directory/i.test(message))
    return new SandboxError('not_a_directory', `${path} is not a directory.`);
  return error;
}

function entryType(type: string | undefined): FileEntry['type'] {
  return type === 'file' || type === 'dir' || type === 'symlink' ? type : 'other';
}

export function createE2BSandbox(
  lifecycle: Lifecycle,
  sessionId: string,
  destroy: () => Promise<void>,
): E2BSandbox {
  return {
    id: `e2b-${sessionId}`,
    get sandboxId() {
      return lifecycle.sandboxId;
    },

    async exec(command, options = {}) {
      const started = performance.now();
      if (options.signal?.aborted) return killedResult(started, true);
      return lifecycle.inUse(() => runCommand(lifecycle, command, options));
    },

    readFile(path) {
      const target = resolveSandboxPath(path);
      return lifecycle.inUse(async () => {
        try {
          const bytes = await lifecycle.live(`read ${target}`, (sdk) =>
            sdk.files.read(target, { format: 'bytes' }),
          );
          return Buffer.from(bytes);
        } catch (error) {
          throw fileError(error, target, 'file');
        }
      });
    },

    writeFile(path, data) {
      const target = resolveSandboxPath(path);
      const body = typeof data === 'string' ? data : new Blob([new Uint8Array(data)]);
      return lifecycle.inUse(async () => {
        try {
          await lifecycle.live(`write ${target}`, (sdk) => sdk.files.write(target, body));
        } catch (error) {
          throw fileError(error, target, 'file');
        }
      });
    },

    list(path) {
      const target = resolveSandboxPath(path);
      return lifecycle.inUse(async () => {
        try {
          const entries = await lifecycle.live(`list ${target}`, (sdk) => sdk.files.list(target));
          return entries
            .map((e): FileEntry => ({ name: e.name, path: e.path, type: entryType(e.type), size: e.size }))
            .sort((a, b) => a.name.localeCompare(b.name));
        } catch (error) {
          throw fileError(error, target, 'dir');
        }
      });
    },

    pause: () => lifecycle.pauseNow(),
    async resume() {
      await lifecycle.inUse(() => lifecycle.live('resume the sandbox', async () => undefined));
    },
    destroy,
    counters: () => ({ provisions: lifecycle.provisions(), activeSeconds: lifecycle.activeSeconds() }),
  };
}
