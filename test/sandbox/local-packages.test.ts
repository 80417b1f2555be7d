import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EnvironmentConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/logging.js';
import { checkBwrapWorks, checkSandboxPrerequisites } from '../../src/sandbox/local/doctor.js';
import { createLocalSandboxProvider } from '../../src/sandbox/local/provider.js';
import { type FakeRegistries, startFakeRegistries } from './package-registries.js';

describe('environment packages (local provider)', () => {
  let registries: FakeRegistries;
  let dataDir: string;

  beforeAll(async () => {
    registries = await startFakeRegistries();
    dataDir = mkdtempSync(join(tmpdir(), 'th-pkgs-'));
  });
  afterAll(async () => {
    await registries.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const installEnv = () => ({
    npm_config_registry: registries.npmUrl,
    PIP_INDEX_URL: registries.pipIndexUrl,
  });

  it('installs npm and pip packages once per environment, usable from every session', async () => {
    const environment = EnvironmentConfig.parse({
      name: 'with-pkgs',
      packages: { npm: ['th-hello'], pip: ['thpkg'] },
    });
    const provider = createLocalSandboxProvider({
      dataDir,
      logger: silentLogger(),
      installEnv: installEnv(),
    });
    try {
      const first = await provider.get('sesn_pkgs1', environment);
      const result = await first.exec(
        'th-hello && node -e "console.log(require(\'th-hello\').answer)" && python3 -c "import thpkg; print(thpkg.VALUE)"',
      );
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('hello from th-hello\n42\n42\n');
      const fetched = registries.requests.length;
      const second = await provider.get('sesn_pkgs2', environment);
      expect((await second.exec('th-hello')).stdout).toBe('hello from th-hello\n');
      expect(registries.requests.length).toBe(fetched);
      // The packages are read-only for sessions: one session cannot tamper with another's.
      expect((await second.exec('touch /opt/threadhand/env/npm/x || echo read-only')).stdout).toBe(
        'read-only\n',
      );
    } finally {
      await provider.close();
    }
    // A restart reuses the cache: no new downloads.
    const before = registries.requests.length;
    const restarted = createLocalSandboxProvider({
      dataDir,
      logger: silentLogger(),
      installEnv: installEnv(),
    });
    try {
      const sandbox = await restarted.get('sesn_pkgs3', environment);
      expect((await sandbox.exec('th-hello')).stdout).toBe('hello from th-hello\n');
      expect(registries.requests.length).toBe(before);
    } finally {
      await restarted.close();
    }
  });

  it('a failing install is a clear error and provisions nothing', async () => {
    const environment = EnvironmentConfig.parse({
      name: 'bad-pkgs',
      packages: { npm: ['th-does-not-exist'] },
    });
    const provider = createLocalSandboxProvider({
      dataDir,
      logger: silentLogger(),
      installEnv: installEnv(),
    });
    try {
      await expect(provider.get('sesn_badpkgs', environment)).rejects.toMatchObject({
        code: 'package_install_failed',
        message: expect.stringContaining('Installing packages for environment "bad-pkgs" failed'),
      });
      expect(provider.provisionCount()).toBe(0);
    } finally {
      await provider.close();
    }
  });

  it('names missing apt packages and the command to install them', async () => {
    const environment = EnvironmentConfig.parse({
      name: 'apt-env',
      packages: { apt: ['bash', 'threadhand-missing-pkg'] },
    });
    const provider = createLocalSandboxProvider({ dataDir, logger: silentLogger() });
    try {
      await expect(provider.get('sesn_apt', environment)).rejects.toMatchObject({
        code: 'missing_packages',
        message: expect.stringMatching(
          /not installed on this host: threadhand-missing-pkg\..*sudo apt-get install -y threadhand-missing-pkg$/s,
        ),
      });
      expect(provider.provisionCount()).toBe(0);
    } finally {
      await provider.close();
    }
  });
});

describe('checkSandboxPrerequisites', () => {
  it('reports bwrap (and that it can sandbox), socat and rg as present on this host', () => {
    expect(checkSandboxPrerequisites()).toEqual([
      { name: 'bwrap', ok: true, fix: '' },
      { name: 'bwrap sandbox', ok: true, fix: '' },
      { name: 'socat', ok: true, fix: '' },
      { name: 'rg', ok: true, fix: '' },
    ]);
  });

  it('explains when bwrap exists but cannot create namespaces', () => {
    const check = checkBwrapWorks('/bin/false');
    expect(check.ok).toBe(false);
    expect(check.fix).toMatch(/cannot create the sandbox's namespaces.*provider: e2b/);
  });

  it('names the apt command for a missing tool', () => {
    const checks = checkSandboxPrerequisites('/nonexistent');
    expect(checks.find((c) => c.name === 'bwrap')).toEqual({
      name: 'bwrap',
      ok: false,
      fix: 'bwrap (runs the local sandbox) is missing: sudo apt-get install -y bubblewrap',
    });
  });
});
