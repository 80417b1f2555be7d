/**
 * What one fake E2B sandbox is on this machine: a temp directory holding its `/workspace`,
 * `/home/user` and `/tmp`, and the processes envd started in it. Commands run for real under
 * bubblewrap (own pid namespace, host system read-only, the sandbox's directories bound
 * writable), with a clean environment, so `pwd` says `/workspace` and the test runner's
 * variables are not visible, as in a real sandbox.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ProcessConfig {
  cmd: string;
  args: string[];
  envs: Record<string, string>;
  cwd?: string;
}

/** One envd process event, already in the wire shape of `process.ProcessEvent`. */
export type ProcessEventJson =
  | { start: { pid: number } }
  | { data: { stdout: string } | { stderr: string } }
  | { end: { exitCode: number; exited: boolean; status: string; error?: string } }
  | { keepalive: Record<string, never> };

export interface FakeProcess {
  pid: number;
  tag?: string;
  config: ProcessConfig;
  /** Events so far (replayed to a late `Connect`) and live ones to each listener. */
  history: ProcessEventJson[];
  listeners: Set<(event: ProcessEventJson) => void>;
  done: boolean;
  signal(name: NodeJS.Signals): void;
}

const BASE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/home/user',
  USER: 'user',
  LANG: 'C.UTF-8',
};

const SYSTEM_DIRS = ['usr', 'etc', 'opt', 'var', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/** bwrap arguments that show the host's system directories read-only. */
function systemMounts(): string[] {
  const args: string[] = [];
  for (const name of readdirSync('/')) {
    if (!SYSTEM_DIRS.includes(name)) continue;
    const full = `/${name}`;
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(full), full);
    else if (stat.isDirectory()) args.push('--ro-bind', full, full);
  }
  return args;
}

export class FakeSandboxHost {
  readonly root: string;
  readonly processes = new Map<number, FakeProcess>();
  private readonly mounts: [string, string][];

  constructor(readonly sandboxId: string) {
    this.root = mkdtempSync(path.join(tmpdir(), `fake-e2b-${sandboxId}-`));
    this.mounts = [
      ['/workspace', path.join(this.root, 'workspace')],
      ['/home/user', path.join(this.root, 'home')],
      ['/tmp', path.join(this.root, 'tmp')],
    ];
    for (const [, dir] of this.mounts) mkdirSync(dir, { recursive: true });
  }

  get workspaceDir(): string {
    return path.join(this.root, 'workspace');
  }

  /** Host path of a sandbox path, or undefined when it is outside the writable mounts. */
  hostPath(sandboxPath: string): { host: string; writable: boolean } {
    const abs = path.posix.resolve('/home/user', sandboxPath);
    for (const [mount, dir] of this.mounts) {
      if (abs === mount || abs.startsWith(`${mount}/`)) {
        return { host: path.join(dir, abs.slice(mount.length)), writable: true };
      }
    }
    return { host: abs, writable: false };
  }

  /** The sandbox path of a host path under one of the mounts (for entry info). */
  sandboxPath(hostPath: string): string {
    for (const [mount, dir] of this.mounts) {
      if (hostPath === dir || hostPath.startsWith(`${dir}/`)) return mount + hostPath.slice(dir.length);
    }
    return hostPath;
  }

  start(config: ProcessConfig, tag: string | undefined): FakeProcess {
    const cwd = path.posix.resolve('/home/user', config.cwd ?? '/home/user');
    const args = [
      '--unshare-pid',
      '--die-with-parent',
      ...systemMounts(),
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      ...this.mounts.flatMap(([mount, dir]) => ['--bind', dir, mount]),
      '--chdir',
      cwd,
      '--',
      config.cmd,
      ...config.args,
    ];
    const child: ChildProcess = spawn('bwrap', args, {
      env: { ...BASE_ENV, ...config.envs },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid ?? -1;
    const proc: FakeProcess = {
      pid,
      tag,
      config,
      history: [],
      listeners: new Set(),
      done: false,
      signal: (name) => {
        if (proc.done) return;
        try {
          process.kill(-pid, name);
        } catch {
          child.kill(name);
        }
      },
    };
    const emit = (event: ProcessEventJson): void => {
      proc.history.push(event);
      for (const listener of proc.listeners) listener(event);
    };
    this.processes.set(pid, proc);
    emit({ start: { pid } });
    child.stdout?.on('data', (chunk: Buffer) => emit({ data: { stdout: chunk.toString('base64') } }));
    child.stderr?.on('data', (chunk: Buffer) => emit({ data: { stderr: chunk.toString('base64') } }));
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (proc.done) return;
      proc.done = true;
      this.processes.delete(pid);
      // Go's ProcessState: ExitCode() is -1 when killed by a signal; Wait's error is its String().
      const status =
        code !== null
          ? `exit status ${code}`
          : `signal: ${signal === 'SIGKILL' ? 'killed' : (signal ?? 'unknown')}`;
      const end: { exitCode: number; exited: boolean; status: string; error?: string } = {
        exitCode: code ?? -1,
        exited: code !== null,
        status,
      };
      if (code !== 0) end.error = status;
      emit({ end });
    };
    child.on('close', finish);
    child.on('error', (err) => {
      emit({
        data: { stderr: Buffer.from(`fake envd: cannot start process: ${err.message}\n`).toString('base64') },
      });
      finish(127, null);
    });
    return proc;
  }

  freeze(): void {
    for (const proc of this.processes.values()) proc.signal('SIGSTOP');
  }

  thaw(): void {
    for (const proc of this.processes.values()) proc.signal('SIGCONT');
  }

  destroy(): void {
    for (const proc of this.processes.values()) proc.signal('SIGKILL');
    rmSync(this.root, { recursive: true, force: true });
  }
}
