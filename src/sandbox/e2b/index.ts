export { E2BSandboxError, type E2BErrorCode, translateE2BError } from './errors.js';
export { createE2BSandboxProvider, type E2BSandboxProvider } from './provider.js';
export type { E2BSandbox } from './sandbox.js';
export type { E2BConnection, E2BSandboxEvent, E2BSandboxProviderOptions } from './types.js';
