export { ENV_PACKAGES_DIR, PROXY_PORT } from './bwrap-args.js';
export {
  checkBwrapWorks,
  checkSandboxPrerequisites,
  findExecutable,
  type PrerequisiteCheck,
} from './doctor.js';
export { createLocalSandboxProvider, type LocalSandboxProviderOptions } from './provider.js';
