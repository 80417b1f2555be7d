import { randomBytes } from 'node:crypto';
import type { ResourceStore } from '../store/types.js';
import type { FileMetadata, FileStore, MountState, SessionResource, SessionResourceStore } from './types.js';

const FILE = 'file';
const FILE_CONTENT = 'file_content';
const SESSION_RESOURCES = 'session_resources';
const SESSION_RESOURCE_TOKENS = 'session_resource_tokens';
const SESSION_RESOURCE_MOUNTS = 'session_resource_mounts';

/** Ids that sort in creation order, like the other API ids. */
export function newId(prefix: string): string {
  return `${prefix}_${Date.now().toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;
}

/** Files over the ResourceStore: metadata and base64 content as two documents. */
export function createFileStore(resources: ResourceStore): FileStore {
  return {
    async put(file) {
      const metadata: FileMetadata = {
        id: newId('file'),
        type: 'file',
        filename: file.filename,
        mime_type: file.mime_type,
        size_bytes: file.content.length,
        created_at: new Date().toISOString(),
        downloadable: true,
      };
      // Content first: a listed file always has its bytes.
      await resources.put(FILE_CONTENT, metadata.id, { base64: file.content.toString('base64') });
      await resources.put(FILE, metadata.id, metadata);
      return metadata;
    },
    get: (id) => resources.get<FileMetadata>(FILE, id),
    async content(id) {
      const stored = await resources.get<{ base64: string }>(FILE_CONTENT, id);
      return stored ? Buffer.from(stored.base64, 'base64') : undefined;
    },
    async list() {
      return (await resources.list<FileMetadata>(FILE)).reverse();
    },
    async delete(id) {
      await resources.delete(FILE, id);
      await resources.delete(FILE_CONTENT, id);
    },
  };
}

/** Session resources over the ResourceStore: one document per session per concern. */
export function createSessionResourceStore(resources: ResourceStore): SessionResourceStore {
  const all = async (sessionId: string) =>
    (await resources.get<SessionResource[]>(SESSION_RESOURCES, sessionId)) ?? [];
  const tokens = async (sessionId: string) =>
    (await resources.get<Record<string, string>>(SESSION_RESOURCE_TOKENS, sessionId)) ?? {};
  const mounts = async (sessionId: string) =>
    (await resources.get<Record<string, MountState>>(SESSION_RESOURCE_MOUNTS, sessionId)) ?? {};

  return {
    list: all,
    async get(sessionId, id) {
      return (await all(sessionId)).find((r) => r.id === id);
    },
    async put(sessionId, resource, token) {
      if (token !== undefined) {
        const stored = await tokens(sessionId);
        if (token === null) delete stored[resource.id];
        else stored[resource.id] = token;
        await resources.put(SESSION_RESOURCE_TOKENS, sessionId, stored);
      }
      const list = await all(sessionId);
      const at = list.findIndex((r) => r.id === resource.id);
      if (at >= 0) list[at] = resource;
      else list.push(resource);
      await resources.put(SESSION_RESOURCES, sessionId, list);
    },
    async delete(sessionId, id) {
      await resources.put(
        SESSION_RESOURCES,
        sessionId,
        (await all(sessionId)).filter((r) => r.id !== id),
      );
      const stored = await tokens(sessionId);
      if (id in stored) {
        delete stored[id];
        await resources.put(SESSION_RESOURCE_TOKENS, sessionId, stored);
      }
    },
    async token(sessionId, id) {
      return (await tokens(sessionId))[id];
    },
    mounts,
    async setMount(sessionId, id, state) {
      await resources.put(SESSION_RESOURCE_MOUNTS, sessionId, { ...(await mounts(sessionId)), [id]: state });
    },
    async deleteSession(sessionId) {
      await resources.delete(SESSION_RESOURCES, sessionId);
      await resources.delete(SESSION_RESOURCE_TOKENS, sessionId);
      await resources.delete(SESSION_RESOURCE_MOUNTS, sessionId);
    },
  };
}
