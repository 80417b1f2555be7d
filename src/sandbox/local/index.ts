export { createLocalSandboxProvider, type LocalSandboxProviderOptions } from './provider.js';
export { checkSandboxPrerequisites, findExecutable, type PrerequisiteCheck } from './doctor.js';
export { ENV_PACKAGES_DIR, PROXY_PORT } from './bwrap-args.js';
