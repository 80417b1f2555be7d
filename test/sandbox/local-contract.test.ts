import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EnvironmentConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/logging.js';
import { createLocalSandboxProvider } from '../../src/sandbox/local/provider.js';
import { describeSandboxContract } from './sandbox-contract.js';

describeSandboxContract('local (bubblewrap)', (stateDir) =>
  createLocalSandboxProvider({ dataDir: stateDir, logger: silentLogger() }),
);

describe('local provider with a relative dataDir', () => {
  it('works from the current directory like an absolute one', async () => {
    const root = mkdtempSync(join(tmpdir(), 'th-rel-'));
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const provider = createLocalSandboxProvider({ dataDir: '.threadhand', logger: silentLogger() });
      const sandbox = await provider.get('sesn_relative', EnvironmentConfig.parse({ name: 'rel' }));
      expect((await sandbox.exec('echo ok > f.txt && cat f.txt')).stdout).toBe('ok\n');
      await provider.close();
      expect(existsSync(join(root, '.threadhand', 'workspaces', 'sesn_relative', 'f.txt'))).toBe(true);
    } finally {
      process.chdir(cwd);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
