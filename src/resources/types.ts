/**
 * Uploaded files (the Files API subset) and the resources a session mounts into its sandbox
 * (`file`, `github_repository`). Both live in the ResourceStore, so every Threadhand process
 * sharing the store (front doors and workers) sees them.
 */

/** File metadata, field for field as `BetaFileMetadata` in `@anthropic-ai/sdk`. */
export interface FileMetadata {
  id: string;
  type: 'file';
  filename: string;
  mime_type: string;
  size_bytes: number;
  created_at: string;
  downloadable: boolean;
}

export interface NewFile {
  filename: string;
  mime_type: string;
  content: Buffer;
}

/**
 * Contract: `put` stores a file and returns its metadata with a new `file_...` id; `content`
 * returns exactly the bytes stored; after `delete` both `get` and `content` are undefined.
 * `list` returns newest first.
 */
export interface FileStore {
  put(file: NewFile): Promise<FileMetadata>;
  get(id: string): Promise<FileMetadata | undefined>;
  content(id: string): Promise<Buffer | undefined>;
  list(): Promise<FileMetadata[]>;
  delete(id: string): Promise<void>;
}

export interface BranchCheckout {
  type: 'branch';
  name: string;
}
export interface CommitCheckout {
  type: 'commit';
  sha: string;
}

interface ResourceBase {
  id: string;
  /** Absolute, normalized, under /workspace. */
  mount_path: string;
  created_at: string;
  updated_at: string;
}

export interface FileResource extends ResourceBase {
  type: 'file';
  file_id: string;
}

/** A repository cloned into the workspace. Its token is kept apart (`SessionResourceStore.token`). */
export interface RepositoryResource extends ResourceBase {
  type: 'github_repository';
  url: string;
  checkout: BranchCheckout | CommitCheckout | null;
}

export type SessionResource = FileResource | RepositoryResource;

/** Whether a resource is in a sandbox: which sandbox, and the failure if mounting failed. */
export interface MountState {
  sandbox_id: string;
  /** The resource's `updated_at` when it was mounted (a token rotation retries a failure). */
  resource_updated_at: string;
  error?: string;
}

/**
 * Contract: a session's resources in the order they were added; ids are unique per session.
 * Tokens are stored apart from the resources and returned only by `token` (never by `list`).
 * `deleteSession` removes resources, tokens and mount states. Mount states are written only by
 * the session's harness (one holder at a time), resources only by the API.
 */
export interface SessionResourceStore {
  list(sessionId: string): Promise<SessionResource[]>;
  get(sessionId: string, id: string): Promise<SessionResource | undefined>;
  /** Adds or replaces a resource; `token` undefined keeps the stored one, null removes it. */
  put(sessionId: string, resource: SessionResource, token?: string | null): Promise<void>;
  delete(sessionId: string, id: string): Promise<void>;
  token(sessionId: string, id: string): Promise<string | undefined>;
  mounts(sessionId: string): Promise<Record<string, MountState>>;
  setMount(sessionId: string, id: string, state: MountState): Promise<void>;
  deleteSession(sessionId: string): Promise<void>;
}
