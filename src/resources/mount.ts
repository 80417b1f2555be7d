import type { Logger } from '../logging.js';
import { shellQuote } from '../sandbox/paths.js';
import type { Sandbox } from '../sandbox/types.js';
import { type CloneRepository, cloneRepository } from './git.js';
import type { FileStore, RepositoryResource, SessionResource, SessionResourceStore } from './types.js';

export interface ResourceMounterOptions {
  files: FileStore;
  resources: SessionResourceStore;
  logger: Logger;
  /** Default: the host's `git` (src/resources/git.ts). */
  clone?: CloneRepository;
}

/**
 * Contract: `mountPending` puts every resource of the session that is not yet in this
 * sandbox into it (files written, repositories cloned on the host and unpacked), once per
 * sandbox. A resource that fails is logged and recorded, not retried until it changes (token
 * rotation) or the sandbox does; the other resources and the tool call go on.
 */
export interface ResourceMounter {
  mountPending(sessionId: string, sandbox: Sandbox): Promise<void>;
}

export function createResourceMounter(options: ResourceMounterOptions): ResourceMounter {
  const clone = options.clone ?? cloneRepository;
  const logger = options.logger.child({ component: 'resources' });

  async function mountRepository(sessionId: string, resource: RepositoryResource, sandbox: Sandbox) {
    const token = await options.resources.token(sessionId, resource.id);
    const archive = await clone({
      url: resource.url,
      checkout: resource.checkout,
      ...(token ? { token } : {}),
    });
    const staged = `/tmp/.threadhand-${resource.id}.tar`;
    await sandbox.writeFile(staged, archive);
    const dest = shellQuote(resource.mount_path);
    const result = await sandbox.exec(
      `if [ -e ${dest} ] && [ -n "$(ls -A -- ${dest} 2>/dev/null)" ]; then rm -f ${shellQuote(staged)}; echo "${resource.mount_path} exists and is not empty" >&2; exit 17; fi; ` +
        `mkdir -p -- ${dest} && tar -xf ${shellQuote(staged)} -C ${dest}; code=$?; rm -f ${shellQuote(staged)}; exit $code`,
      { timeoutMs: 300_000 },
    );
    if (result.exitCode !== 0)
      throw new Error(`unpacking into ${resource.mount_path} failed: ${result.stderr.trim().slice(0, 500)}`);
  }

  async function mount(sessionId: string, resource: SessionResource, sandbox: Sandbox) {
    if (resource.type === 'github_repository') return mountRepository(sessionId, resource, sandbox);
    const content = await options.files.content(resource.file_id);
    if (!content) throw new Error(`file ${resource.file_id} was deleted`);
    await sandbox.writeFile(resource.mount_path, content);
  }

  return {
    async mountPending(sessionId, sandbox) {
      const resources = await options.resources.list(sessionId);
      if (resources.length === 0) return;
      const mounts = await options.resources.mounts(sessionId);
      for (const resource of resources) {
        const state = mounts[resource.id];
        const current =
          state?.sandbox_id === sandbox.id &&
          (!state.error || state.resource_updated_at === resource.updated_at);
        if (current) continue;
        try {
          await mount(sessionId, resource, sandbox);
          await options.resources.setMount(sessionId, resource.id, {
            sandbox_id: sandbox.id,
            resource_updated_at: resource.updated_at,
          });
          logger.info(
            { sessionId, resourceId: resource.id, type: resource.type, mountPath: resource.mount_path },
            'resource mounted',
          );
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          logger.warn(
            { sessionId, resourceId: resource.id, type: resource.type, reason: message },
            'resource not mounted',
          );
          await options.resources.setMount(sessionId, resource.id, {
            sandbox_id: sandbox.id,
            resource_updated_at: resource.updated_at,
            error: message,
          });
        }
      }
    },
  };
}
