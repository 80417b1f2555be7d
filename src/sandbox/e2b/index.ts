export { type E2BErrorCode, E2BSandboxError, translateE2BError } from './errors.js';
export { createE2BSandboxProvider, type E2BSandboxProvider } from './provider.js';
export {
  kvSandboxRecord,
  latestLoggedSandboxId,
  type SandboxRecordHooks,
  sessionLogSandboxRecord,
} from './record.js';
export type { E2BSandbox } from './sandbox.js';
export type { E2BConnection, E2BSandboxEvent, E2BSandboxProviderOptions } from './types.js';
