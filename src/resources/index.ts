export { CloneError, type CloneRepository, cloneRepository } from './git.js';
export { createResourceMounter, type ResourceMounter, type ResourceMounterOptions } from './mount.js';
export { defaultFileMountPath, defaultRepositoryMountPath, resolveMountPath } from './mount-path.js';
export { createFileStore, createSessionResourceStore, newId } from './store.js';
export type * from './types.js';
