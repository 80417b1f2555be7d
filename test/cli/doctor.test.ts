import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkNode, pingRedis, runChecks } from '../../src/cli/commands/doctor-checks.js';
import { runCli } from '../../src/cli/program.js';
import { createTestIo, createWorkspace } from './helpers.js';

let ws: Awaited<ReturnType<typeof createWorkspace>>;
beforeEach(async () => {
  ws = await createWorkspace();
});
afterEach(async () => {
  await ws.cleanup();
});

describe('threadhand doctor', () => {
  it('prints a fix for every problem and exits 1', async () => {
    const binDir = join(ws.root, 'bin');
    await mkdir(binDir);
    for (const tool of ['bwrap', 'rg']) {
      await writeFile(join(binDir, tool), '#!/bin/sh\n');
      await chmod(join(binDir, tool), 0o755);
    }
    const checks = await runChecks({
      env: { THREADHAND_REDIS_URL: 'redis://127.0.0.1:1' },
      agentsDir: ws.agentsDir,
      dataDir: '/proc/threadhand-cannot-write',
      nodeVersion: 'v18.19.0',
      pathEnv: binDir,
    });
    const failed = checks.filter((c) => c.status === 'fail');
    expect(failed.map((c) => c.name)).toEqual([
      'Node.js',
      'socat',
      'ANTHROPIC_API_KEY',
      'data directory',
      'Redis',
    ]);
    expect(failed.find((c) => c.name === 'socat')?.fix).toContain('apt-get install -y socat');
    expect(failed.find((c) => c.name === 'ANTHROPIC_API_KEY')?.detail).toMatch(
      /^ANTHROPIC_API_KEY is not set: /,
    );
    expect(failed.find((c) => c.name === 'Redis')?.fix).toContain('redis-server');
    for (const c of failed) expect(c.fix ?? c.detail).toMatch(/\S/);
  });

  it('reports a healthy setup and exits 0', async () => {
    const t = createTestIo({
      ANTHROPIC_API_KEY: 'k',
      THREADHAND_AGENTS_DIR: ws.agentsDir,
      THREADHAND_DATA_DIR: ws.dataDir,
      PATH: process.env.PATH,
    });
    const code = await runCli(['doctor'], t.io);
    const out = t.out();
    expect(out).toContain('✓ Node.js');
    expect(out).toContain('✓ Anthropic API  ANTHROPIC_API_KEY is set');
    expect(out).toContain('✓ agents  1 agent(s), 1 environment(s)');
    expect(out).toContain('· Redis  not configured');
    // On this machine the sandbox tools are installed by scripts/setup.sh.
    expect(code).toBe(0);
    expect(out).toMatch(/\nReady/);
  });

  it('shows YAML problems with file:line', async () => {
    await writeFile(join(ws.agentsDir, 'bad.yaml'), 'name: bad\n');
    const checks = await runChecks({
      env: { ANTHROPIC_API_KEY: 'k' },
      agentsDir: ws.agentsDir,
      dataDir: ws.dataDir,
    });
    const agents = checks.find((c) => c.name === 'agents');
    expect(agents?.status).toBe('fail');
    expect(agents?.detail).toContain(`${join(ws.agentsDir, 'bad.yaml')}:1: model:`);
  });

  it('pings Redis over its protocol', async () => {
    expect(await pingRedis('redis://127.0.0.1:6379')).toBeNull();
    const silent = createServer((socket) =>
      socket.on('data', () => socket.write('-NOAUTH Authentication required.\r\n')),
    );
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    expect(await pingRedis(`redis://127.0.0.1:${port}`)).toBe('NOAUTH Authentication required.');
    silent.close();
    expect(checkNode('v20.18.0').status).toBe('ok');
    expect(checkNode('v20.17.1').status).toBe('fail');
  });
});
