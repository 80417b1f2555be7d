/**
 * The life of one session's E2B sandbox: created (or reconnected by id) when first needed,
 * its E2B timeout extended while in use, paused after an idle time, resumed on the next use,
 * re-created with a notice when it vanished, killed on destroy. Every transition runs through
 * one queue so a pause never races a resume. Active (running) seconds are counted.
 */
import { Sandbox as E2BSdkSandbox, SandboxNotFoundError } from 'e2b';
import type { EnvironmentConfig } from '../../config/schema.js';
import type { Logger } from '../../logging.js';
import { WORKSPACE_ROOT } from '../types.js';
import { looksGone, translateE2BError } from './errors.js';
import { installPackages, installPackagesScript } from './packages.js';
import { createOptions } from './settings.js';
import type { E2BConnection, E2BSandboxEvent } from './types.js';

export interface LifecycleOptions {
  sessionId: string;
  environment: EnvironmentConfig;
  connection: E2BConnection;
  logger: Logger;
  idlePauseMs: number;
  timeoutMs: number;
  emit(event: E2BSandboxEvent): void;
  onSandboxCreated(sandboxId: string): Promise<void>;
  onProvision(): void;
}

/** How much later than our own extension E2B's end time may be before we call it someone else's. */
const EXTENSION_SLACK_MS = 5000;

export type LifecycleStatus = 'new' | 'running' | 'paused' | 'destroyed';

export interface Lifecycle {
  readonly sandboxId: string | undefined;
  readonly status: LifecycleStatus;
  /** Connects to a known sandbox (resuming it) or creates one; a vanished one is re-created. */
  open(knownSandboxId: string | undefined): Promise<void>;
  /** Runs `fn` against a running sandbox; one retry after recovering a vanished/paused one. */
  live<T>(action: string, fn: (sdk: E2BSdkSandbox) => Promise<T>, retry?: boolean): Promise<T>;
  /** Marks the sandbox busy for the duration of `fn` (no idle pause, timeout kept extended). */
  inUse<T>(fn: () => Promise<T>): Promise<T>;
  pauseNow(): Promise<void>;
  kill(): Promise<void>;
  provisions(): number;
  activeSeconds(): number;
  /** Stops timers; with `pause`, pauses a running sandbox first (shutdown). */
  close(pause: boolean): Promise<void>;
}

/**
 * Creates `/workspace` for the sandbox's default user. In E2B's `base` template that user
 * (`user`) is not root and may not create directories under `/`, so root creates it and hands
 * it over (by numeric ids: a custom template's default user may have another name).
 */
async function prepareWorkspace(instance: E2BSdkSandbox): Promise<void> {
  const owner = (await instance.commands.run('echo "$(id -u):$(id -g)"')).stdout.trim();
  if (!/^\d+:\d+$/.test(owner)) throw new Error(`unexpected answer to id -u/id -g: ${owner}`);
  await instance.commands.run(`mkdir -p ${WORKSPACE_ROOT} && chown ${owner} ${WORKSPACE_ROOT}`, {
    user: 'root',
  });
}

export function createLifecycle(options: LifecycleOptions): Lifecycle {
  const { sessionId, logger, connection } = options;
  const template = options.environment.e2b?.template ?? 'base';
  let sdk: E2BSdkSandbox | undefined;
  let sandboxId: string | undefined;
  let status: LifecycleStatus = 'new';
  let provisions = 0;
  let activeMs = 0;
  let activeSince: number | undefined;
  let lastExtended = 0;
  let inFlight = 0;
  let idleTimer: NodeJS.Timeout | undefined;
  let keepAlive: NodeJS.Timeout | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const extendEveryMs = Math.max(1000, Math.floor(options.timeoutMs / 3));
  const ctx = (action: string) => ({ action, sandboxId, template, apiUrl: connection.apiUrl });

  /** Serialises lifecycle transitions. */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  }

  function markRunning(instance: E2BSdkSandbox): void {
    sdk = instance;
    sandboxId = instance.sandboxId;
    status = 'running';
    activeSince = Date.now();
    lastExtended = Date.now();
  }

  /** Ends a running stretch; returns its length in seconds. */
  function markStopped(next: LifecycleStatus): number {
    const stretch = activeSince !== undefined ? Date.now() - activeSince : 0;
    activeMs += stretch;
    activeSince = undefined;
    status = next;
    return stretch / 1000;
  }

  async function create(previousSandboxId?: string): Promise<E2BSdkSandbox> {
    const started = performance.now();
    let instance: E2BSdkSandbox;
    try {
      instance = await E2BSdkSandbox.create(
        template,
        createOptions(options.environment, sessionId, connection, options.timeoutMs),
      );
    } catch (err) {
      throw translateE2BError(err, ctx(`create an E2B sandbox for session ${sessionId}`));
    }
    provisions += 1;
    options.onProvision();
    markRunning(instance);
    logger.info(
      { sessionId, sandboxId: instance.sandboxId, template, ms: Math.round(performance.now() - started) },
      'e2b sandbox created',
    );
    try {
      await prepareWorkspace(instance);
      const script = installPackagesScript(options.environment);
      if (script) await installPackages(instance, script, options.environment, logger);
    } catch (err) {
      await instance.kill().catch(() => false);
      markStopped('new');
      sdk = undefined;
      sandboxId = undefined;
      throw translateE2BError(err, ctx('prepare the new E2B sandbox'));
    }
    await options.onSandboxCreated(instance.sandboxId);
    if (previousSandboxId) {
      options.emit({
        type: 'recreated',
        sessionId,
        sandboxId: instance.sandboxId,
        previousSandboxId,
        message: `The E2B sandbox ${previousSandboxId} of this session no longer exists (it expired or was killed outside Threadhand); a new sandbox ${instance.sandboxId} was created. Files written to /workspace before are gone.`,
      });
    } else {
      options.emit({ type: 'created', sessionId, sandboxId: instance.sandboxId });
    }
    return instance;
  }

  async function connect(id: string, kind: 'reconnected' | 'resumed'): Promise<E2BSdkSandbox> {
    try {
      const instance = await E2BSdkSandbox.connect(id, { ...connection, timeoutMs: options.timeoutMs });
      markRunning(instance);
      logger.info({ sessionId, sandboxId: id }, `e2b sandbox ${kind}`);
      options.emit({ type: kind, sessionId, sandboxId: id });
      return instance;
    } catch (err) {
      if (err instanceof SandboxNotFoundError) {
        logger.warn({ sessionId, sandboxId: id }, 'e2b sandbox vanished; creating a new one');
        return create(id);
      }
      throw translateE2BError(err, {
        ...ctx(kind === 'resumed' ? 'resume the E2B sandbox' : 'reconnect to the E2B sandbox'),
        sandboxId: id,
      });
    }
  }

  function ensureRunning(): Promise<E2BSdkSandbox> {
    if (status === 'running' && sdk) return Promise.resolve(sdk);
    return serial(async () => {
      if (status === 'destroyed')
        throw translateE2BError(
          new Error('this sandbox was destroyed (its session was deleted)'),
          ctx('use the sandbox'),
        );
      if (status === 'running' && sdk) return sdk;
      if (status === 'paused' && sandboxId) return connect(sandboxId, 'resumed');
      return create();
    });
  }

  /** After a "gone" error: find out from the control plane what happened and recover. */
  function recover(failedId: string): Promise<E2BSdkSandbox | undefined> {
    return serial(async () => {
      if (sandboxId !== failedId && sdk && status === 'running') return sdk; // someone else recovered
      let state: string | undefined;
      try {
        state = (await E2BSdkSandbox.getInfo(failedId, connection)).state;
      } catch (err) {
        if (!(err instanceof SandboxNotFoundError))
          throw translateE2BError(err, ctx('check the E2B sandbox'));
      }
      if (state === 'running') return undefined;
      markStopped('paused');
      if (state === 'paused') return connect(failedId, 'resumed');
      logger.warn({ sessionId, sandboxId: failedId }, 'e2b sandbox vanished; creating a new one');
      return create(failedId);
    });
  }

  async function extendTimeout(instance: E2BSdkSandbox): Promise<void> {
    lastExtended = Date.now();
    try {
      await instance.setTimeout(options.timeoutMs);
    } catch (err) {
      logger.warn(
        { sessionId, sandboxId: instance.sandboxId, err },
        'could not extend the e2b sandbox timeout',
      );
    }
  }

  function scheduleIdlePause(): void {
    if (idleTimer) clearTimeout(idleTimer);
    if (status !== 'running') return;
    idleTimer = setTimeout(() => {
      idleTimer = undefined;
      if (inFlight === 0) void pause('idle');
    }, options.idlePauseMs);
    idleTimer.unref();
  }

  /**
   * Another replica may be running this session now (the lease moved): it extended the E2B
   * timeout past what we set last, or already paused it. Then leave the sandbox to it.
   */
  async function usedElsewhere(id: string): Promise<boolean> {
    try {
      const info = await E2BSdkSandbox.getInfo(id, connection);
      if (info.state !== 'running') {
        markStopped('paused');
        return true;
      }
      return info.endAt.getTime() > lastExtended + options.timeoutMs + EXTENSION_SLACK_MS;
    } catch (err) {
      if (err instanceof SandboxNotFoundError) {
        markStopped('paused'); // the next use finds out it vanished and re-creates it
        return true;
      }
      return false;
    }
  }

  function pause(reason: 'idle' | 'requested' | 'shutdown'): Promise<void> {
    return serial(async () => {
      if (status !== 'running' || !sdk || (reason === 'idle' && inFlight > 0)) return;
      const instance = sdk;
      if (reason !== 'requested' && (await usedElsewhere(instance.sandboxId))) {
        if (reason === 'idle') scheduleIdlePause();
        return;
      }
      try {
        await instance.pause();
      } catch (err) {
        if (!(err instanceof SandboxNotFoundError)) {
          logger.warn({ sessionId, sandboxId: instance.sandboxId, err }, 'could not pause the e2b sandbox');
          return;
        }
      }
      const activeSeconds = markStopped('paused');
      logger.info({ sessionId, sandboxId: instance.sandboxId, reason, activeSeconds }, 'e2b sandbox paused');
      options.emit({ type: 'paused', sessionId, sandboxId: instance.sandboxId, activeSeconds });
    });
  }

  return {
    get sandboxId() {
      return sandboxId;
    },
    get status() {
      return status;
    },

    open(knownSandboxId) {
      return serial(async () => {
        if (status !== 'new') return;
        if (knownSandboxId) await connect(knownSandboxId, 'reconnected');
        else await create();
      }).finally(scheduleIdlePause);
    },

    async live(action, fn, retry = true) {
      const instance = await ensureRunning();
      if (Date.now() - lastExtended > extendEveryMs) await extendTimeout(instance);
      try {
        return await fn(instance);
      } catch (err) {
        if (!retry || !looksGone(err))
          throw translateE2BError(err, { ...ctx(action), sandboxId: instance.sandboxId });
        const recovered = await recover(instance.sandboxId);
        if (!recovered) throw translateE2BError(err, { ...ctx(action), sandboxId: instance.sandboxId });
        try {
          return await fn(recovered);
        } catch (again) {
          throw translateE2BError(again, { ...ctx(action), sandboxId: recovered.sandboxId });
        }
      }
    },

    async inUse(fn) {
      inFlight += 1;
      if (idleTimer) clearTimeout(idleTimer);
      idleTimer = undefined;
      if (!keepAlive) {
        keepAlive = setInterval(() => {
          if (status === 'running' && sdk && Date.now() - lastExtended >= extendEveryMs)
            void extendTimeout(sdk);
        }, extendEveryMs);
        keepAlive.unref();
      }
      try {
        return await fn();
      } finally {
        inFlight -= 1;
        if (inFlight === 0) {
          if (keepAlive) clearInterval(keepAlive);
          keepAlive = undefined;
          scheduleIdlePause();
        }
      }
    },

    pauseNow: () => pause('requested'),

    kill() {
      return serial(async () => {
        if (idleTimer) clearTimeout(idleTimer);
        if (keepAlive) clearInterval(keepAlive);
        const id = sandboxId;
        const activeSeconds = markStopped('destroyed');
        if (!id) return;
        try {
          await E2BSdkSandbox.kill(id, connection);
        } catch (err) {
          throw translateE2BError(err, { ...ctx('kill the E2B sandbox'), sandboxId: id });
        }
        logger.info({ sessionId, sandboxId: id }, 'e2b sandbox killed');
        options.emit({ type: 'killed', sessionId, sandboxId: id, activeSeconds });
      });
    },

    provisions: () => provisions,
    activeSeconds: () => (activeMs + (activeSince !== undefined ? Date.now() - activeSince : 0)) / 1000,

    async close(pauseFirst) {
      if (idleTimer) clearTimeout(idleTimer);
      if (keepAlive) clearInterval(keepAlive);
      idleTimer = undefined;
      keepAlive = undefined;
      if (pauseFirst) await pause('shutdown');
    },
  };
}
