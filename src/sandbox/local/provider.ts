/**
 * The local sandbox provider: bubblewrap on the user's own machine.
 *
 * Layout under `dataDir`:
 *   workspaces/<sessionId>/            the session's /workspace (persists until destroy)
 *   tmp/<sessionId>/                   its /tmp (persists with the workspace). Not inside the
 *                                      workspace: bwrap resolves bind sources on the host, so a
 *                                      source the sandbox can replace with a symlink would let
 *                                      it mount any host path.
 *   sandboxes/<sessionId>.json         host-side metadata (environment, counters)
 *   envs/<environment>-<hash>/         npm/pip packages, shared by an environment's sessions
 *   run/<hash>.sock                    egress proxy sockets of `limited` sandboxes
 * A new provider on the same dataDir finds existing workspaces: `get` reconnects without
 * counting a provision. `peek` only knows sandboxes this process has opened.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EnvironmentConfig } from '../../config/schema.js';
import {
  createEgressProxy,
  type EgressDenial,
  type EgressListener,
  type EgressProxy,
} from '../../credentials/proxy.js';
import { allowedHostsFor } from '../../credentials/proxy-hosts.js';
import type { Logger } from '../../logging.js';
import { type SandboxCounters, SandboxError, type SandboxProvider } from '../types.js';
import { proxyEnv, type SandboxNetwork } from './bwrap-args.js';
import { findExecutable, isExecutable } from './doctor.js';
import { aptMissingMessage, ensureEnvPackages, envPackagesVars, missingAptPackages } from './packages.js';
import { createLocalSandbox, type LocalSandbox } from './sandbox.js';

export interface LocalSandboxProviderOptions {
  /** Threadhand's data directory (e.g. `./.threadhand`). */
  dataDir: string;
  logger: Logger;
  /** The egress proxy for `limited` environments; one is created on demand when absent. */
  proxy?: EgressProxy;
  /** Denials of the proxy created on demand (ignored when `proxy` is given). */
  onEgressDenied?(denial: EgressDenial): void;
  /** Path of bwrap (default: found on PATH). */
  bwrapPath?: string;
  /**
   * How `unrestricted` environments reach the network: `host` (default) shares the host's
   * network, loopback services included; `proxy` gives them their own network namespace too,
   * with the egress proxy allowing every host except loopback/private addresses (HTTP(S) only,
   * like `limited`, but all traffic passes the proxy's credential hooks).
   */
  unrestrictedNetwork?: 'host' | 'proxy';
  /** Variables for package installers (registry mirrors: `npm_config_registry`, `PIP_INDEX_URL`). */
  installEnv?: Record<string, string>;
}

interface SandboxMeta {
  sessionId: string;
  environment: string;
  createdAt: string;
  provisions: number;
  activeSeconds: number;
}

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
const BASE_PATH = [
  '/workspace/.local/bin',
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
];

export function createLocalSandboxProvider(options: LocalSandboxProviderOptions): SandboxProvider {
  const { logger } = options;
  // bwrap bind sources and socket paths must not depend on the process's working directory.
  const dataDir = resolve(options.dataDir);
  const opening = new Map<string, Promise<LocalSandbox>>();
  const open = new Map<string, LocalSandbox>();
  const listeners = new Map<string, EgressListener>();
  const inflightInstalls = new Map<string, Promise<string | undefined>>();
  let ownProxy: EgressProxy | undefined;
  let provisions = 0;
  let closed = false;

  const workspaceDir = (id: string) => join(dataDir, 'workspaces', id);
  const metaPath = (id: string) => join(dataDir, 'sandboxes', `${id}.json`);
  const tmpDirOf = (id: string) => join(dataDir, 'tmp', id);

  function bwrapPath(): string {
    const path = options.bwrapPath ?? findExecutable('bwrap');
    if (!path || !isExecutable(path)) {
      throw new SandboxError(
        'sandbox_failed',
        'The local sandbox needs bubblewrap (bwrap), which is not installed: sudo apt-get install -y bubblewrap (then check with `threadhand doctor`).',
      );
    }
    return path;
  }

  function proxy(): EgressProxy {
    if (options.proxy) return options.proxy;
    ownProxy ??= createEgressProxy({ logger, onDenied: options.onEgressDenied });
    return ownProxy;
  }

  function socketPath(sessionId: string): string {
    const name = `${createHash('sha256').update(sessionId).digest('hex').slice(0, 16)}.sock`;
    const preferred = join(dataDir, 'run', name);
    // UNIX socket paths are limited to ~108 bytes; fall back to a short directory.
    const dir =
      preferred.length < 100
        ? join(dataDir, 'run')
        : join(tmpdir(), `threadhand-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return join(dir, name);
  }

  function readMeta(sessionId: string): SandboxMeta | undefined {
    try {
      return JSON.parse(readFileSync(metaPath(sessionId), 'utf8')) as SandboxMeta;
    } catch {
      return undefined;
    }
  }

  function writeMeta(meta: SandboxMeta): void {
    mkdirSync(join(dataDir, 'sandboxes'), { recursive: true });
    writeFileSync(metaPath(meta.sessionId), JSON.stringify(meta));
  }

  async function provision(sessionId: string, environment: EnvironmentConfig): Promise<LocalSandbox> {
    const bwrap = bwrapPath();
    const { apt, cargo, gem, go } = environment.packages;
    const unsupported = [
      ...cargo.map((p) => `cargo:${p}`),
      ...gem.map((p) => `gem:${p}`),
      ...go.map((p) => `go:${p}`),
    ];
    if (unsupported.length > 0) {
      throw new SandboxError(
        'package_install_failed',
        `The local provider installs apt (host), npm and pip packages only; environment "${environment.name}" also lists ${unsupported.join(', ')}. Remove them or install them from a bash command.`,
      );
    }
    if (apt.length > 0) {
      const missing = await missingAptPackages(apt);
      if (missing.length > 0)
        throw new SandboxError('missing_packages', aptMissingMessage(environment.name, missing));
    }
    const envDir = await ensureEnvPackages({
      dataDir,
      environment,
      bwrapPath: bwrap,
      logger,
      installEnv: options.installEnv,
      inflight: inflightInstalls,
    });

    const workspace = workspaceDir(sessionId);
    const tmpDir = tmpDirOf(sessionId);
    let meta = readMeta(sessionId);
    if (!existsSync(workspace) || !meta) {
      const fresh = !existsSync(workspace);
      mkdirSync(workspace, { recursive: true });
      mkdirSync(tmpDir, { recursive: true });
      meta = {
        sessionId,
        environment: environment.name,
        createdAt: new Date().toISOString(),
        provisions: 1,
        activeSeconds: 0,
      };
      writeMeta(meta);
      if (fresh) {
        provisions += 1;
        logger.info({ sessionId, environment: environment.name }, 'sandbox provisioned');
      }
    } else {
      mkdirSync(tmpDir, { recursive: true });
      logger.debug({ sessionId }, 'sandbox reconnected');
    }

    let network: SandboxNetwork = { mode: 'host' };
    const allowedHosts = allowedHostsFor(environment.networking);
    if (allowedHosts || options.unrestrictedNetwork === 'proxy') {
      const listener = await proxy().listenUnix(socketPath(sessionId), {
        sessionId,
        allowedHosts,
        denyPrivateAddresses: allowedHosts === undefined,
      });
      listeners.set(sessionId, listener);
      network = { mode: 'proxy', socketPath: listener.address };
    }

    const packages = envPackagesVars(envDir !== undefined);
    const env: Record<string, string> = {
      PATH: [...BASE_PATH.slice(0, 1), ...packages.path, ...BASE_PATH.slice(1)].join(':'),
      HOME: '/workspace',
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      TMPDIR: '/tmp',
      PAGER: 'cat',
      ...packages.vars,
      ...(network.mode === 'proxy' ? proxyEnv() : {}),
    };
    const current = meta;
    return createLocalSandbox({
      sessionId,
      bwrapPath: bwrap,
      workspaceDir: workspace,
      tmpDir,
      envDir,
      network,
      env,
      logger,
      onActive(seconds) {
        current.activeSeconds += seconds;
        try {
          writeMeta(current);
        } catch (error) {
          logger.warn({ err: error, sessionId }, 'could not persist sandbox counters');
        }
      },
      counters: (): SandboxCounters => ({
        provisions: current.provisions,
        activeSeconds: current.activeSeconds,
      }),
      destroy: () => provider.destroy(sessionId),
    });
  }

  const provider: SandboxProvider = {
    name: 'local',
    // Nothing runs between execs, so there are no stints to report: each run records its own.
    activeTimeRecordedBy: 'harness',

    get(sessionId, environment) {
      if (closed)
        return Promise.reject(new SandboxError('sandbox_failed', 'The sandbox provider is shut down.'));
      if (!SESSION_ID.test(sessionId))
        return Promise.reject(
          new SandboxError(
            'sandbox_failed',
            `Invalid session id for a sandbox: ${JSON.stringify(sessionId)}`,
          ),
        );
      const ready = open.get(sessionId);
      if (ready) return Promise.resolve(ready);
      let pending = opening.get(sessionId);
      if (!pending) {
        pending = provision(sessionId, environment).then(
          (sandbox) => {
            opening.delete(sessionId);
            open.set(sessionId, sandbox);
            return sandbox;
          },
          (error: unknown) => {
            opening.delete(sessionId);
            throw error;
          },
        );
        opening.set(sessionId, pending);
      }
      return pending;
    },

    peek: (sessionId) => open.get(sessionId),

    async destroy(sessionId) {
      if (!SESSION_ID.test(sessionId)) return;
      await opening.get(sessionId)?.catch(() => undefined);
      open.get(sessionId)?.killAll(true);
      open.delete(sessionId);
      await listeners.get(sessionId)?.close();
      listeners.delete(sessionId);
      rmSync(workspaceDir(sessionId), { recursive: true, force: true });
      rmSync(tmpDirOf(sessionId), { recursive: true, force: true });
      rmSync(metaPath(sessionId), { force: true });
      logger.info({ sessionId }, 'sandbox destroyed');
    },

    provisionCount: () => provisions,

    async close() {
      closed = true;
      await Promise.all([...opening.values()].map((p) => p.catch(() => undefined)));
      for (const sandbox of open.values()) sandbox.killAll(true);
      open.clear();
      await Promise.all([...listeners.values()].map((l) => l.close()));
      listeners.clear();
      await ownProxy?.close();
    },
  };
  return provider;
}
