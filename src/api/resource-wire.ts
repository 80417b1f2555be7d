/**
 * Session resources on the wire (`BetaManagedAgentsFileResource`,
 * `BetaManagedAgentsGitHubRepositoryResource`): the params sessions.create and resources.add
 * take, checked and turned into stored resources. Tokens never appear in a wire object.
 */
import { z } from 'zod';
import {
  defaultFileMountPath,
  defaultRepositoryMountPath,
  newId,
  resolveMountPath,
  type SessionResource,
} from '../resources/index.js';
import { type ApiDeps, nowIso } from './context.js';
import { badRequest, notSupported, parseWith } from './errors.js';

const MountPath = z.string().max(4096).nullish();

const Checkout = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('branch'),
    name: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^-\s][^\s]*$/, 'a branch name without spaces that does not start with "-"'),
  }),
  z.object({
    type: z.literal('commit'),
    sha: z.string().regex(/^[0-9a-fA-F]{4,64}$/, 'a commit sha (hex)'),
  }),
]);

export const ResourceParams = z.discriminatedUnion('type', [
  z.object({ type: z.literal('file'), file_id: z.string().min(1), mount_path: MountPath }),
  z.object({
    type: z.literal('github_repository'),
    url: z.string().min(1).max(4096),
    authorization_token: z.string().min(1).max(8192).optional(),
    checkout: Checkout.nullish(),
    mount_path: MountPath,
  }),
  z.object({ type: z.literal('memory_store') }).loose(),
]);

export const TokenUpdate = z.object({ authorization_token: z.string().min(1).max(8192) });

export interface PreparedResource {
  resource: SessionResource;
  token?: string;
}

/** The git transports Threadhand clones over (self-hosted: any server the host can reach). */
const CLONE_PROTOCOLS = new Set(['https:', 'http:', 'file:']);

function checkRepositoryUrl(url: string, field: string, allowFile: boolean): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(`${field}: not a URL; use an https:// or http:// git URL`);
  }
  if (!CLONE_PROTOCOLS.has(parsed.protocol))
    throw badRequest(`${field}: ${parsed.protocol} URLs are not supported; use https:// or http://`);
  // Repositories are cloned on the host: a file:// URL would hand a host repository to the
  // sandbox, which otherwise never sees the host's files. Only the operator can allow that.
  if (parsed.protocol === 'file:' && !allowFile)
    throw badRequest(
      `${field}: file:// repositories are off; the operator can allow them with THREADHAND_GIT_FILE_URLS=true`,
    );
  // Credentials in the URL would land in the clone's .git/config and in every response.
  if (parsed.username || parsed.password)
    throw badRequest(`${field}: do not put credentials in the URL; pass the token as authorization_token`);
}

/**
 * Checks one resource param (`prefix` names it in errors, e.g. `resources.0`) against the
 * session's other resources, and builds the stored resource.
 */
export async function prepareResource(
  deps: Pick<ApiDeps, 'files' | 'allowFileRepositories'>,
  raw: unknown,
  prefix: (string | number)[],
  taken: readonly SessionResource[],
): Promise<PreparedResource> {
  const params = parseWith(ResourceParams, raw, prefix);
  const at = (field: string) => [...prefix, field].join('.');
  if (params.type === 'memory_store')
    throw notSupported(`${at('type')}: session resources of type "memory_store"`);
  let requested: string;
  if (params.type === 'file') {
    const file = await deps.files.get(params.file_id);
    if (!file)
      throw badRequest(`${at('file_id')}: no file ${params.file_id}; upload it with POST /v1/files first`);
    requested = params.mount_path ?? defaultFileMountPath(file.filename);
  } else {
    checkRepositoryUrl(params.url, at('url'), deps.allowFileRepositories);
    requested = params.mount_path ?? defaultRepositoryMountPath(params.url);
  }
  const mount = resolveMountPath(requested);
  if ('error' in mount) throw badRequest(`${at('mount_path')}: ${mount.error}`);
  const clash = taken.find(
    (r) =>
      r.mount_path === mount.path ||
      r.mount_path.startsWith(`${mount.path}/`) ||
      mount.path.startsWith(`${r.mount_path}/`),
  );
  if (clash)
    throw badRequest(
      `${at('mount_path')}: ${mount.path} overlaps resource ${clash.id} (${clash.mount_path})`,
    );
  const now = nowIso();
  const base = { id: newId('sesrsc'), mount_path: mount.path, created_at: now, updated_at: now };
  if (params.type === 'file') return { resource: { ...base, type: 'file', file_id: params.file_id } };
  return {
    resource: { ...base, type: 'github_repository', url: params.url, checkout: params.checkout ?? null },
    ...(params.authorization_token ? { token: params.authorization_token } : {}),
  };
}

/** The wire object: exactly the SDK's fields, never the token. */
export function resourceToWire(resource: SessionResource): Record<string, unknown> {
  const common = {
    id: resource.id,
    type: resource.type,
    mount_path: resource.mount_path,
    created_at: resource.created_at,
    updated_at: resource.updated_at,
  };
  if (resource.type === 'file') return { ...common, file_id: resource.file_id };
  return { ...common, url: resource.url, checkout: resource.checkout };
}
