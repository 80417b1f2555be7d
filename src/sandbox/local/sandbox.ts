/**
 * One session's local sandbox. Nothing runs between calls: every `exec` is a fresh bwrap over
 * the same persistent workspace and /tmp, so pause/resume are no-ops and a restart of
 * Threadhand loses nothing but background processes (which die with the exec that started
 * them, like everything in its PID namespace). File operations also run inside bwrap, so they
 * see exactly what commands see: a symlink in the workspace cannot reach host files.
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from '../../logging.js';
import { resolveSandboxPath, shellQuote } from '../paths.js';
import {
  type ExecOptions,
  type ExecResult,
  type FileEntry,
  type Sandbox,
  type SandboxCounters,
  SandboxError,
} from '../types.js';
import { type BwrapSpec, bwrapArgs, type SandboxNetwork } from './bwrap-args.js';
import { type RunProcessResult, runProcess } from './run-process.js';

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
const MAX_FILE_BYTES = 256 * 1024 * 1024;
const NOT_FOUND = 3;
const NOT_A_FILE = 4;
const NOT_A_DIRECTORY = 5;

export interface LocalSandboxOptions {
  sessionId: string;
  bwrapPath: string;
  workspaceDir: string;
  tmpDir: string;
  envDir?: string;
  network: SandboxNetwork;
  env: Record<string, string>;
  logger: Logger;
  /** Called after each exec with the seconds it took (persisted by the provider). */
  onActive(seconds: number): void;
  counters(): SandboxCounters;
  /** Removes the session's sandbox for good (the provider's destroy). */
  destroy(): Promise<void>;
}

export interface LocalSandbox extends Sandbox {
  /** Kills every running command; with `final`, refuses new ones (destroy, shutdown). */
  killAll(final: boolean): void;
}

export function createLocalSandbox(options: LocalSandboxOptions): LocalSandbox {
  const running = new Set<AbortController>();
  let destroyed = false;

  function spec(
    cwd: string,
    network: SandboxNetwork,
    env: Record<string, string>,
    login: boolean,
  ): BwrapSpec {
    return {
      workspaceDir: options.workspaceDir,
      tmpDir: options.tmpDir,
      envDir: options.envDir,
      network,
      cwd,
      env,
      login,
    };
  }

  async function run(
    command: string,
    settings: {
      cwd: string;
      network: SandboxNetwork;
      env: Record<string, string>;
      login: boolean;
      stdin?: Buffer | string;
    },
    execOptions: ExecOptions,
  ): Promise<RunProcessResult> {
    if (destroyed)
      throw new SandboxError('sandbox_failed', 'This sandbox was destroyed (its session was deleted).');
    // Host-side directories the sandbox cannot reach; recreated if something removed them.
    mkdirSync(options.tmpDir, { recursive: true });
    const controller = new AbortController();
    const forward = (): void => controller.abort();
    if (execOptions.signal?.aborted) controller.abort();
    else execOptions.signal?.addEventListener('abort', forward, { once: true });
    running.add(controller);
    try {
      return await runProcess(
        options.bwrapPath,
        bwrapArgs(spec(settings.cwd, settings.network, settings.env, settings.login), command),
        {
          env: {},
          stdin: settings.stdin,
          timeoutMs: execOptions.timeoutMs,
          signal: controller.signal,
          onStdout: execOptions.onStdout,
          onStderr: execOptions.onStderr,
          maxOutputBytes: execOptions.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        },
      );
    } finally {
      running.delete(controller);
      execOptions.signal?.removeEventListener('abort', forward);
    }
  }

  /** Internal file operations: no login profile, no network, no cap on what we read back. */
  function fileOp(script: string, stdin?: Buffer | string): Promise<RunProcessResult> {
    return run(
      script,
      { cwd: '/', network: { mode: 'none' }, env: options.env, login: false, stdin },
      { maxOutputBytes: MAX_FILE_BYTES, timeoutMs: 60_000 },
    );
  }

  function fail(result: RunProcessResult, path: string, action: string): never {
    if (result.exitCode === NOT_FOUND) throw new SandboxError('not_found', `${path} does not exist.`);
    if (result.exitCode === NOT_A_FILE)
      throw new SandboxError('not_a_file', `${path} is a directory, not a file.`);
    if (result.exitCode === NOT_A_DIRECTORY)
      throw new SandboxError('not_a_directory', `${path} is not a directory.`);
    const detail = result.stderr.trim() || `exit code ${result.exitCode}`;
    throw new SandboxError('sandbox_failed', `Could not ${action} ${path}: ${detail}`);
  }

  return {
    id: `local-${options.sessionId}`,

    async exec(command, execOptions = {}): Promise<ExecResult> {
      const cwd = resolveSandboxPath(execOptions.cwd ?? '/workspace');
      const result = await run(
        command,
        { cwd, network: options.network, env: { ...options.env, ...execOptions.env }, login: true },
        execOptions,
      );
      options.onActive(result.durationMs / 1000);
      const { stdoutBytes: _bytes, ...rest } = result;
      return rest;
    },

    async readFile(path) {
      const target = resolveSandboxPath(path);
      const q = shellQuote(target);
      const result = await fileOp(
        `[ -e ${q} ] || exit ${NOT_FOUND}; [ -d ${q} ] && exit ${NOT_A_FILE}; exec cat -- ${q}`,
      );
      if (result.exitCode !== 0) fail(result, target, 'read');
      if (result.truncated)
        throw new SandboxError('sandbox_failed', `${target} is larger than ${MAX_FILE_BYTES} bytes.`);
      return result.stdoutBytes;
    },

    async writeFile(path, data) {
      const target = resolveSandboxPath(path);
      const q = shellQuote(target);
      const result = await fileOp(
        `[ -d ${q} ] && exit ${NOT_A_FILE}; mkdir -p -- "$(dirname -- ${q})" && cat > ${q}`,
        typeof data === 'string' ? Buffer.from(data) : data,
      );
      if (result.exitCode !== 0) fail(result, target, 'write');
    },

    async list(path) {
      const target = resolveSandboxPath(path);
      const q = shellQuote(target);
      const result = await fileOp(
        `[ -e ${q} ] || exit ${NOT_FOUND}; [ -d ${q} ] || exit ${NOT_A_DIRECTORY}; exec find ${q} -mindepth 1 -maxdepth 1 -printf '%y\\t%s\\t%f\\0'`,
      );
      if (result.exitCode !== 0) fail(result, target, 'list');
      const entries: FileEntry[] = [];
      for (const record of result.stdoutBytes.toString('utf8').split('\0')) {
        if (record === '') continue;
        const [kind, size, ...nameParts] = record.split('\t');
        const name = nameParts.join('\t');
        const type = kind === 'f' ? 'file' : kind === 'd' ? 'dir' : kind === 'l' ? 'symlink' : 'other';
        entries.push({
          name,
          path: target === '/' ? `/${name}` : `${target}/${name}`,
          type,
          size: Number(size) || 0,
        });
      }
      return entries.sort((a, b) => a.name.localeCompare(b.name));
    },

    // Locally nothing runs between calls, so there is nothing to pause.
    async pause() {},
    async resume() {},

    destroy: () => options.destroy(),

    killAll(final) {
      if (final) destroyed = true;
      for (const controller of running) controller.abort();
    },

    counters: () => options.counters(),
  };
}
