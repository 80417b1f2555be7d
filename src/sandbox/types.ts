export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  signal?: AbortSignal;
  onStdout?(chunk: string): void;
  onStderr?(chunk: string): void;
  /** Cap on captured output (bytes); past it output is truncated with a marker. */
  maxOutputBytes?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when the command was killed by the timeout. */
  timedOut: boolean;
  /** True when the command was killed by the abort signal. */
  aborted: boolean;
  truncated: boolean;
  durationMs: number;
}

export interface FileEntry {
  name: string;
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
}

export interface SandboxCounters {
  /** Times this session's sandbox was created by this provider: 1 after the first `get`, +1 per re-create; pause/resume are not provisions. */
  provisions: number;
  /** Seconds the sandbox spent running commands (local) or running at all (E2B); never decreases, stands still while paused. */
  activeSeconds: number;
}

/**
 * Contract: one session's hands. The workspace is `/workspace` (paths may be absolute under
 * it or relative to it) and persists across turns, pause/resume and a Threadhand restart,
 * until `destroy`. `exec` runs `bash -lc command`; timeout and abort kill the whole process
 * tree and resolve (never reject) with `timedOut`/`aborted` set. Non-zero exits are results.
 * Threadhand's own environment variables and secrets are never visible inside.
 */
export interface Sandbox {
  readonly id: string;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  readFile(path: string): Promise<Buffer>;
  writeFile(path: string, data: string | Buffer): Promise<void>;
  list(path: string): Promise<FileEntry[]>;
  /** Stops paying for the sandbox while idle; the workspace is kept, and the next use (or `resume`) resumes it. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  destroy(): Promise<void>;
  counters(): SandboxCounters;
}

/**
 * Contract: makes sandboxes for sessions. `get` provisions on first use and returns the same
 * sandbox (reconnecting if needed) for later calls with the same session id; `peek` never
 * provisions. `destroy` removes the session's sandbox and workspace for good.
 */
export interface SandboxProvider {
  readonly name: string;
  /**
   * Who puts the sandbox's running time in the session log. `provider` (the default): it
   * reports its own stints as `span.sandbox_operation` pause/destroy with `active_seconds`
   * (E2B). `harness`: the provider has no lifecycle of its own to report from (local), so each
   * harness run records how much `counters().activeSeconds` grew during it.
   */
  readonly activeTimeRecordedBy?: 'provider' | 'harness';
  get(sessionId: string, environment: import('../config/schema.js').EnvironmentConfig): Promise<Sandbox>;
  peek(sessionId: string): Sandbox | undefined;
  destroy(sessionId: string): Promise<void>;
  /** How many sandboxes this provider has created (tests: lazy provisioning). */
  provisionCount(): number;
  close(): Promise<void>;
}

/** Added for the hands issue: stable codes for sandbox failures (every provider uses them). */
export type SandboxErrorCode =
  | 'not_found'
  | 'not_a_file'
  | 'not_a_directory'
  | 'outside_workspace'
  | 'missing_packages'
  | 'package_install_failed'
  | 'sandbox_failed';

/** A sandbox failure the tools translate into an `is_error` result the model can act on. */
export class SandboxError extends Error {
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}

/** The workspace root every provider mounts. */
export const WORKSPACE_ROOT = '/workspace';
