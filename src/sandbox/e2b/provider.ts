/**
 * The E2B sandbox provider: the hands in E2B's cloud. Nothing is created until a session's
 * first `get` (its first tool call). The sandbox id is handed to `onSandboxCreated` so the
 * caller records it; `resolveSandboxId` gives it back, so another replica (or this one after
 * a restart) reconnects instead of creating a second sandbox. `destroy` kills the sandbox;
 * `close` pauses running ones (they keep their files) and forgets them.
 */
import { Sandbox as E2BSdkSandbox } from 'e2b';
import type { EnvironmentConfig } from '../../config/schema.js';
import { SandboxError, type SandboxProvider } from '../types.js';
import { translateE2BError } from './errors.js';
import { createLifecycle, type Lifecycle } from './lifecycle.js';
import { createE2BSandbox, type E2BSandbox } from './sandbox.js';
import { timeoutMsFor } from './settings.js';
import type { E2BConnection, E2BSandboxEvent, E2BSandboxProviderOptions } from './types.js';

interface Entry {
  lifecycle: Lifecycle;
  sandbox: E2BSandbox;
}

export interface E2BSandboxProvider extends SandboxProvider {
  /** The E2B sandbox id a session's sandbox has in this process, if any. */
  sandboxIdOf(sessionId: string): string | undefined;
}

export function createE2BSandboxProvider(options: E2BSandboxProviderOptions): E2BSandboxProvider {
  const { logger } = options;
  const connection: E2BConnection = {
    apiKey: options.apiKey,
    domain: options.domain,
    apiUrl: options.apiUrl,
    sandboxUrl: options.sandboxUrl,
    requestTimeoutMs: options.requestTimeoutMs,
  };
  const opening = new Map<string, Promise<E2BSandbox>>();
  const open = new Map<string, Entry>();
  const warned = new Set<string>();
  let provisions = 0;
  let closed = false;

  const emit = (event: E2BSandboxEvent): void => {
    try {
      options.onEvent?.(event);
    } catch (err) {
      logger.warn({ err, sessionId: event.sessionId }, 'e2b onEvent listener failed');
    }
  };

  function warnUnsupported(environment: EnvironmentConfig): void {
    const e2b = environment.e2b;
    if (!e2b || warned.has(environment.name) || (e2b.cpu_count === undefined && e2b.memory_mb === undefined))
      return;
    warned.add(environment.name);
    logger.warn(
      { environment: environment.name, template: e2b.template },
      'E2B sets CPU and memory per template: cpu_count/memory_mb are not applied per sandbox; build a template with them (see docs/e2b.md)',
    );
  }

  async function openSandbox(sessionId: string, environment: EnvironmentConfig): Promise<E2BSandbox> {
    warnUnsupported(environment);
    const lifecycle = createLifecycle({
      sessionId,
      environment,
      connection,
      logger,
      idlePauseMs: options.idlePauseMs ?? environment.idle_pause_seconds * 1000,
      timeoutMs: timeoutMsFor(environment),
      emit,
      onProvision: () => {
        provisions += 1;
      },
      onSandboxCreated: async (sandboxId) => {
        await options.onSandboxCreated?.(sessionId, sandboxId);
      },
    });
    let known: string | undefined;
    try {
      known = (await options.resolveSandboxId?.(sessionId)) ?? undefined;
    } catch (err) {
      throw translateE2BError(err, { action: `look up the recorded sandbox of session ${sessionId}` });
    }
    await lifecycle.open(known);
    const sandbox = createE2BSandbox(lifecycle, sessionId, () => provider.destroy(sessionId));
    open.set(sessionId, { lifecycle, sandbox });
    return sandbox;
  }

  const provider: E2BSandboxProvider = {
    name: 'e2b',

    get(sessionId, environment) {
      if (closed)
        return Promise.reject(new SandboxError('sandbox_failed', 'The E2B sandbox provider is shut down.'));
      const ready = open.get(sessionId);
      if (ready) return Promise.resolve(ready.sandbox);
      let pending = opening.get(sessionId);
      if (!pending) {
        pending = openSandbox(sessionId, environment).finally(() => opening.delete(sessionId));
        opening.set(sessionId, pending);
      }
      return pending;
    },

    peek: (sessionId) => open.get(sessionId)?.sandbox,

    sandboxIdOf: (sessionId) => open.get(sessionId)?.lifecycle.sandboxId,

    async destroy(sessionId) {
      await opening.get(sessionId)?.catch(() => undefined);
      const entry = open.get(sessionId);
      open.delete(sessionId);
      if (entry) {
        const id = entry.lifecycle.sandboxId;
        await entry.lifecycle.kill();
        if (id) await options.onSandboxDestroyed?.(sessionId, id);
        return;
      }
      // Created by another replica (or before a restart): kill it by its recorded id.
      const known = await options.resolveSandboxId?.(sessionId);
      if (!known) return;
      try {
        if (await E2BSdkSandbox.kill(known, connection))
          emit({ type: 'killed', sessionId, sandboxId: known });
      } catch (err) {
        throw translateE2BError(err, { action: 'kill the E2B sandbox', sandboxId: known });
      }
      logger.info({ sessionId, sandboxId: known }, 'e2b sandbox killed');
      await options.onSandboxDestroyed?.(sessionId, known);
    },

    provisionCount: () => provisions,

    async close() {
      closed = true;
      await Promise.all([...opening.values()].map((p) => p.catch(() => undefined)));
      const pause = options.pauseOnClose ?? true;
      await Promise.all([...open.values()].map((e) => e.lifecycle.close(pause).catch(() => undefined)));
      open.clear();
    },
  };
  return provider;
}
