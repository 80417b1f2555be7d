/**
 * The bubblewrap command line for one exec. Everything the sandbox can see is listed here:
 * system directories read-only, a curated /etc, the session's workspace at /workspace, its
 * own /tmp, fresh PID/IPC/UTS (and, for `limited`, network) namespaces, no capabilities, and
 * only the environment variables passed in `env` (bwrap itself is started with an empty env
 * too, because /proc/1/environ inside would otherwise show the parent's variables).
 */
import { existsSync, lstatSync, readlinkSync } from 'node:fs';

/** Where the environment's npm/pip packages appear inside the sandbox (read-only). */
export const ENV_PACKAGES_DIR = '/opt/threadhand/env';
/** Where the egress proxy's UNIX socket appears inside a `limited` sandbox. */
export const PROXY_SOCKET_PATH = '/run/threadhand/proxy.sock';
/** The loopback port socat listens on inside a `limited` sandbox. */
export const PROXY_PORT = 3128;

const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
const ETC_ENTRIES = [
  'passwd',
  'group',
  'hosts',
  'hostname',
  'resolv.conf',
  'nsswitch.conf',
  'host.conf',
  'gai.conf',
  'services',
  'protocols',
  'ssl',
  'ca-certificates',
  'ca-certificates.conf',
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'timezone',
  'os-release',
  'debian_version',
  'mime.types',
  'inputrc',
  'gitconfig',
  'python3',
  'python3.11',
  'python3.12',
  'python3.13',
  'pip.conf',
  'npmrc',
];

export type SandboxNetwork = { mode: 'host' } | { mode: 'none' } | { mode: 'proxy'; socketPath: string };

export interface BwrapSpec {
  workspaceDir: string;
  tmpDir: string;
  /** Host directory with the environment's installed packages, if any. */
  envDir?: string;
  /** Extra read-write binds (package installs). */
  writableBinds?: Array<{ host: string; sandbox: string }>;
  network: SandboxNetwork;
  /** Working directory inside the sandbox. */
  cwd: string;
  env: Record<string, string>;
  /** `bash -l` (the user's ~/.bash_profile in /workspace applies); off for internal file ops. */
  login?: boolean;
}

let systemArgsCache: string[] | undefined;

/** Read-only system directories; merged-/usr symlinks are recreated as symlinks. */
export function systemArgs(): string[] {
  if (systemArgsCache) return systemArgsCache;
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const dir of SYSTEM_DIRS) {
    if (!existsSync(dir)) continue;
    const stat = lstatSync(dir);
    if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else args.push('--ro-bind', dir, dir);
  }
  for (const entry of ETC_ENTRIES) {
    if (existsSync(`/etc/${entry}`)) args.push('--ro-bind', `/etc/${entry}`, `/etc/${entry}`);
  }
  systemArgsCache = args;
  return args;
}

/** Bash run as the sandbox's command: starts the proxy bridge when needed, then runs "$1". */
function entryScript(network: SandboxNetwork, login: boolean): string {
  const run = login ? 'exec /bin/bash -lc "$1"' : 'exec /bin/bash --noprofile --norc -c "$1"';
  if (network.mode !== 'proxy') return run;
  const hexPort = PROXY_PORT.toString(16).toUpperCase().padStart(4, '0');
  return [
    `/usr/bin/socat TCP-LISTEN:${PROXY_PORT},bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:${PROXY_SOCKET_PATH} 2>/dev/null &`,
    // Wait (without connecting) until socat listens, so the first request never races it.
    `i=0; until grep -q ':${hexPort} 00000000:0000 0A' /proc/net/tcp 2>/dev/null; do i=$((i+1)); [ "$i" -gt 300 ] && break; sleep 0.01; done`,
    run,
  ].join('\n');
}

/** argv for `bwrap` that runs `command` with `bash -lc` inside the sandbox. */
export function bwrapArgs(spec: BwrapSpec, command: string): string[] {
  const args = [
    '--unshare-user',
    '--uid',
    '0',
    '--gid',
    '0',
    '--unshare-pid',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'threadhand',
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    '--clearenv',
    ...systemArgs(),
    '--dev',
    '/dev',
    '--proc',
    '/proc',
    '--bind',
    spec.workspaceDir,
    '/workspace',
    '--bind',
    spec.tmpDir,
    '/tmp',
  ];
  if (spec.envDir) args.push('--ro-bind', spec.envDir, ENV_PACKAGES_DIR);
  for (const bind of spec.writableBinds ?? []) args.push('--bind', bind.host, bind.sandbox);
  if (spec.network.mode !== 'host') args.push('--unshare-net');
  if (spec.network.mode === 'proxy') args.push('--bind', spec.network.socketPath, PROXY_SOCKET_PATH);
  args.push('--chdir', spec.cwd);
  for (const [key, value] of Object.entries(spec.env)) args.push('--setenv', key, value);
  args.push(
    '--',
    '/bin/bash',
    '-c',
    entryScript(spec.network, spec.login ?? true),
    'threadhand-sandbox',
    command,
  );
  return args;
}

/** Environment variables that route traffic through the in-sandbox proxy bridge. */
export function proxyEnv(): Record<string, string> {
  const url = `http://127.0.0.1:${PROXY_PORT}`;
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    ALL_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    all_proxy: url,
    NO_PROXY: 'localhost,127.0.0.1,::1',
    no_proxy: 'localhost,127.0.0.1,::1',
  };
}
