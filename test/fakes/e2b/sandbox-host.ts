/**
 * What one fake E2B sandbox is on this machine: a temp directory holding its root filesystem
 * (`/home/user`, `/tmp`, and `/workspace` once root created it), and the processes envd started
 * in it. Commands run for real under bubblewrap (own pid namespace, host system read-only), with
 * a clean environment, so the test runner's variables are not visible, as in a real sandbox.
 * As in E2B's `base` template, the default user (`user`) is not root: only root may create
 * entries directly under `/` (for `user` the root filesystem is read-only there).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
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

/** The user envd runs as when the request names none (E2B's `base` template). */
export const DEFAULT_USER = 'user';

const PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const homeOf = (user: string): string => (user === 'root' ? '/root' : '/home/user');

const SYSTEM_DIRS = ['usr', 'etc', 'opt', 'var', 'bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];

/**
 * Makes the host's system directories' mount points (or symlinks) in `fsRoot` and returns the
 * bwrap arguments that show them read-only.
 */
function systemMounts(fsRoot: string): string[] {
  const args: string[] = [];
  for (const name of readdirSync('/')) {
    if (!SYSTEM_DIRS.includes(name)) continue;
    const full = `/${name}`;
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) {
      if (!existsSync(path.join(fsRoot, name))) symlinkSync(readlinkSync(full), path.join(fsRoot, name));
    } else if (stat.isDirectory()) {
      mkdirSync(path.join(fsRoot, name), { recursive: true });
      args.push('--ro-bind', full, full);
    }
  }
  return args;
}

export class FakeSandboxHost {
  readonly root: string;
  readonly processes = new Map<number, FakeProcess>();
  /** Host directory behind the sandbox's `/`. */
  private readonly fsRoot: string;
  private readonly systemArgs: string[];

  constructor(readonly sandboxId: string) {
    this.root = mkdtempSync(path.join(tmpdir(), `fake-e2b-${sandboxId}-`));
    this.fsRoot = path.join(this.root, 'fs');
    for (const dir of ['home/user', 'root', 'tmp', 'proc', 'dev'])
      mkdirSync(path.join(this.fsRoot, dir), { recursive: true });
    this.systemArgs = systemMounts(this.fsRoot);
  }

  /** Host directory behind `/workspace` (absent until someone created it in the sandbox). */
  get workspaceDir(): string {
    return path.join(this.fsRoot, 'workspace');
  }

  /**
   * Host path of a sandbox path, and whether `user` may create or change it there: root
   * anywhere outside the host's system directories; anyone else only inside `/home/user`,
   * `/tmp` and top-level directories that already exist (never an entry directly under `/`).
   */
  hostPath(sandboxPath: string, user: string = DEFAULT_USER): { host: string; writable: boolean } {
    const abs = path.posix.resolve(homeOf(user), sandboxPath);
    const [top = ''] = abs.split('/').filter(Boolean);
    if (top === '' || SYSTEM_DIRS.includes(top) || top === 'proc' || top === 'dev')
      return { host: abs, writable: false };
    const host = path.join(this.fsRoot, abs);
    if (user === 'root') return { host, writable: true };
    const nested = abs !== `/${top}` && existsSync(path.join(this.fsRoot, top));
    return { host, writable: nested && top !== 'root' };
  }

  /** The sandbox path of a host path under the sandbox's root (for entry info). */
  sandboxPath(hostPath: string): string {
    if (hostPath === this.fsRoot) return '/';
    if (hostPath.startsWith(`${this.fsRoot}/`)) return hostPath.slice(this.fsRoot.length);
    return hostPath;
  }

  start(config: ProcessConfig, tag: string | undefined, user: string = DEFAULT_USER): FakeProcess {
    const home = homeOf(user);
    const cwd = path.posix.resolve(home, config.cwd ?? home);
    // Root sees its root filesystem writable; the default user read-only but for what it owns.
    const writableForUser = ['home/user', 'tmp', 'workspace'].filter((d) =>
      existsSync(path.join(this.fsRoot, d)),
    );
    const args = [
      '--unshare-pid',
      '--die-with-parent',
      user === 'root' ? '--bind' : '--ro-bind',
      this.fsRoot,
      '/',
      ...this.systemArgs,
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      ...(user === 'root'
        ? []
        : writableForUser.flatMap((d) => ['--bind', path.join(this.fsRoot, d), `/${d}`])),
      '--chdir',
      cwd,
      '--',
      config.cmd,
      ...config.args,
    ];
    const child: ChildProcess = spawn('bwrap', args, {
      env: { PATH: PATH_ENV, HOME: home, USER: user, LANG: 'C.UTF-8', ...config.envs },
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
