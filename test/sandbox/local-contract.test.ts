import { silentLogger } from '../../src/logging.js';
import { createLocalSandboxProvider } from '../../src/sandbox/local/provider.js';
import { describeSandboxContract } from './sandbox-contract.js';

describeSandboxContract('local (bubblewrap)', (stateDir) =>
  createLocalSandboxProvider({ dataDir: stateDir, logger: silentLogger() }),
);
