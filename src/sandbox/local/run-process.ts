/**
 * Runs one process (here: bwrap) in its own process group, streams and caps its output, and
 * kills the whole group on timeout or abort. bwrap runs the command as PID 1's child in a new
 * PID namespace with --die-with-parent, so killing bwrap takes every process inside with it.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createOutputBuffer } from '../output-buffer.js';

export interface RunProcessOptions {
  env: Record<string, string>;
  stdin?: Buffer | string;
  timeoutMs?: number;
  signal?: AbortSignal;
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
  maxOutputBytes: number;
}

export interface RunProcessResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** Raw stdout (capped like `stdout`), for binary reads. */
  stdoutBytes: Buffer;
  timedOut: boolean;
  aborted: boolean;
  truncated: boolean;
  durationMs: number;
}

/** Exit code reported when the command was killed (timeout, abort): 128 + SIGKILL. */
export const KILLED_EXIT_CODE = 137;
/** After a kill, how long to wait for the pipes to close before resolving anyway. */
const KILL_GRACE_MS = 2000;

export function runProcess(
  file: string,
  args: string[],
  options: RunProcessOptions,
): Promise<RunProcessResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(file, args, {
      env: options.env,
      detached: true,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const { stdout, stderr } = child as typeof child & { stdout: Readable; stderr: Readable };
    const out = createOutputBuffer(options.maxOutputBytes);
    const err = createOutputBuffer(options.maxOutputBytes);
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;

    const kill = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      killTimer ??= setTimeout(() => finish(KILLED_EXIT_CODE), KILL_GRACE_MS);
    };
    const onAbort = (): void => {
      if (settled) return;
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

    const forward = (buffer: typeof out, sink: ((chunk: string) => void) | undefined) => {
      const decoder = new StringDecoder('utf8');
      let streamed = 0;
      let notified = false;
      return (chunk: Buffer): void => {
        buffer.push(chunk);
        if (!sink) return;
        if (streamed < options.maxOutputBytes) {
          streamed += chunk.length;
          safeCall(sink, decoder.write(chunk));
        } else if (!notified) {
          notified = true;
          safeCall(sink, '\n[... output cap reached; the rest is not shown live ...]\n');
        }
      };
    };
    stdout.on('data', forward(out, options.onStdout));
    stderr.on('data', forward(err, options.onStderr));

    function finish(code: number): void {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      stdout.destroy();
      stderr.destroy();
      resolve({
        exitCode: timedOut || aborted ? KILLED_EXIT_CODE : code,
        stdout: out.text(),
        stderr: err.text(),
        stdoutBytes: out.bytes(),
        timedOut,
        aborted,
        truncated: out.truncated || err.truncated,
        durationMs: performance.now() - started,
      });
    }

    child.on('error', (error) => {
      err.push(Buffer.from(`failed to start ${file}: ${error.message}\n`));
      finish(127);
    });
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 + signalNumber(signal) : 1)));
    if (options.stdin !== undefined && child.stdin) {
      child.stdin.on('error', () => {
        // The command may exit without reading its input (EPIPE); its exit code tells the story.
      });
      child.stdin.end(options.stdin);
    }
  });
}

function safeCall(sink: (chunk: string) => void, text: string): void {
  if (text === '') return;
  try {
    sink(text);
  } catch {
    // A failing progress sink must not break the command.
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGKILL: 9,
    SIGTERM: 15,
    SIGSEGV: 11,
    SIGABRT: 6,
    SIGPIPE: 13,
  };
  return table[signal] ?? 0;
}
