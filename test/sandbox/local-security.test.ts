/**
 * What a sandboxed command must NOT be able to do on the local provider. Each test makes the
 * attempt for real inside bubblewrap and asserts it fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EnvironmentConfig } from '../../src/config/schema.js';
import type { EgressDenial } from '../../src/credentials/proxy.js';
import { silentLogger } from '../../src/logging.js';
import { createLocalSandboxProvider } from '../../src/sandbox/local/provider.js';
import type { SandboxProvider } from '../../src/sandbox/types.js';

const SECRET = `sk-ant-test-${Math.random().toString(36).slice(2)}-do-not-leak`;
const unrestricted = EnvironmentConfig.parse({ name: 'sec' });

describe('local sandbox security', () => {
  let dataDir: string;
  let hostDir: string;
  let provider: SandboxProvider;
  let saved: Record<string, string | undefined>;
  let n = 0;
  const session = () => `sesn_sec${process.pid}x${++n}`;

  beforeAll(() => {
    saved = {
      ANTHROPIC_API_KEY: process.env.ANTHROPIC_API_KEY,
      THREADHAND_TEST_SECRET: process.env.THREADHAND_TEST_SECRET,
    };
    process.env.ANTHROPIC_API_KEY = SECRET;
    process.env.THREADHAND_TEST_SECRET = SECRET;
    dataDir = mkdtempSync(join(tmpdir(), 'th-sec-'));
    writeFileSync(join(dataDir, 'threadhand.db'), `DATADIR-${SECRET}`);
    mkdirSync('/root', { recursive: true });
    hostDir = mkdtempSync('/root/th-sec-host-');
    writeFileSync(join(hostDir, 'private.txt'), `HOSTFILE-${SECRET}`);
    provider = createLocalSandboxProvider({ dataDir, logger: silentLogger() });
  });
  afterAll(async () => {
    await provider.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(hostDir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("cannot read Threadhand's data directory", async () => {
    const sandbox = await provider.get(session(), unrestricted);
    const dbPath = join(dataDir, 'threadhand.db');
    const result = await sandbox.exec(`cat ${dbPath}; ls ${dataDir}`);
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).not.toContain('DATADIR');
    expect(result.stderr).toMatch(/No such file or directory/);
    await expect(sandbox.readFile(dbPath)).rejects.toMatchObject({ code: 'not_found' });
    // Its own workspace is inside the data directory, but `..` from /workspace leads nowhere.
    const upward = await sandbox.exec(
      'cat ../threadhand.db ../../threadhand.db ../../../threadhand.db 2>&1; ls -a /workspace/..',
    );
    expect(upward.stdout).not.toContain('DATADIR');
  });

  it('cannot read host files outside the workspace, even through a symlink', async () => {
    const sandbox = await provider.get(session(), unrestricted);
    const hostFile = join(hostDir, 'private.txt');
    const direct = await sandbox.exec(`cat ${hostFile}; ls /root; cat /etc/shadow`);
    expect(direct.exitCode).not.toBe(0);
    expect(direct.stdout).not.toContain('HOSTFILE');
    const viaLink = await sandbox.exec(`ln -s ${hostFile} link.txt && cat link.txt`);
    expect(viaLink.exitCode).not.toBe(0);
    expect(viaLink.stdout).not.toContain('HOSTFILE');
    await expect(sandbox.readFile('link.txt')).rejects.toMatchObject({ code: 'not_found' });
    await expect(sandbox.readFile(hostFile)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('cannot get a host path mounted by planting symlinks for the next exec', async () => {
    const sandbox = await provider.get(session(), unrestricted);
    // Replace every directory Threadhand keeps inside the workspace with a symlink to the host.
    await sandbox.exec(
      `mkdir -p /workspace/.threadhand && rm -rf /workspace/.threadhand/tmp && ln -s ${hostDir} /workspace/.threadhand/tmp`,
    );
    const next = await sandbox.exec(
      'ls -la /tmp/ 2>&1; cat /tmp/private.txt /workspace/.threadhand/tmp/private.txt 2>&1',
    );
    expect(next.stdout).not.toContain('HOSTFILE');
    expect(next.stdout).not.toContain('private.txt ');
  });

  it('cannot write to system directories', async () => {
    const sandbox = await provider.get(session(), unrestricted);
    const result = await sandbox.exec(
      'touch /usr/pwned || echo usr-denied; echo x >> /etc/passwd || echo etc-denied',
    );
    expect(result.stdout).toBe('usr-denied\netc-denied\n');
    await expect(sandbox.writeFile('/usr/bin/pwned', 'x')).rejects.toMatchObject({ code: 'sandbox_failed' });
  });

  it('finds no Threadhand secret in its environment, /proc or files', async () => {
    const sandbox = await provider.get(session(), unrestricted);
    const result = await sandbox.exec(
      [
        'env',
        'cat /proc/self/environ /proc/1/environ /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n"',
        'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " "',
        'grep -rIl --exclude-dir=proc --exclude-dir=dev --exclude-dir=usr -e "sk-ant-test" / 2>/dev/null',
        'echo scanned',
      ].join('; '),
    );
    expect(result.stdout).toContain('scanned');
    expect(result.stdout).toContain('HOME=/workspace');
    expect(result.stdout).not.toContain(SECRET);
    expect(result.stdout).not.toContain('ANTHROPIC_API_KEY');
    expect(result.stdout).not.toContain('THREADHAND_');
  });

  it('cannot see or signal host processes', async () => {
    const host: ChildProcess = spawn('sleep', ['987.654'], { stdio: 'ignore' });
    try {
      const sandbox = await provider.get(session(), unrestricted);
      const result = await sandbox.exec(
        `ps -eo pid,args; ls /proc | grep -c '^[0-9]'; kill -0 ${host.pid} && echo signalled || echo no-such-process`,
      );
      expect(result.stdout).not.toContain('987.654');
      expect(result.stdout).not.toContain('vitest');
      expect(result.stdout).toContain('no-such-process');
      const pidCount = Number(result.stdout.split('\n').at(-3));
      expect(pidCount).toBeLessThan(10);
    } finally {
      host.kill('SIGKILL');
    }
  });
});

describe('local sandbox networking', () => {
  let dataDir: string;
  let provider: SandboxProvider;
  const denials: EgressDenial[] = [];
  const servers: http.Server[] = [];
  let allowedPort = 0;
  let deniedPort = 0;
  let n = 0;
  const session = () => `sesn_net${process.pid}x${++n}`;

  async function serve(body: string): Promise<number> {
    const server = http.createServer((_req, res) => res.end(body));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'th-net-'));
    allowedPort = await serve('allowed-ok');
    deniedPort = await serve('denied-body');
    provider = createLocalSandboxProvider({
      dataDir,
      logger: silentLogger(),
      onEgressDenied: (d) => denials.push(d),
    });
  });
  afterEach(() => {
    denials.length = 0;
  });
  afterAll(async () => {
    await provider.close();
    for (const s of servers) s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const limited = () =>
    EnvironmentConfig.parse({
      name: 'lim',
      networking: { type: 'limited', allowed_hosts: [`127.0.0.1:${allowedPort}`] },
    });
  // Loopback is in NO_PROXY (the sandbox's own loopback); `--noproxy ''` sends these via the proxy.
  const viaProxy = "curl -sS -m 10 --noproxy ''";

  it('limited: an allowed host works through the proxy, plain and CONNECT', async () => {
    const sandbox = await provider.get(session(), limited());
    const plain = await sandbox.exec(`${viaProxy} http://127.0.0.1:${allowedPort}/`);
    expect(plain.stdout).toBe('allowed-ok');
    const tunnel = await sandbox.exec(`${viaProxy} -p http://127.0.0.1:${allowedPort}/`);
    expect(tunnel.stdout).toBe('allowed-ok');
    expect(denials).toEqual([]);
  });

  it('limited: a host not in allowed_hosts is refused and the denial reported', async () => {
    const sessionId = session();
    const sandbox = await provider.get(sessionId, limited());
    const plain = await sandbox.exec(`${viaProxy} -w ' %{http_code}' http://127.0.0.1:${deniedPort}/`);
    expect(plain.stdout).not.toContain('denied-body');
    expect(plain.stdout).toMatch(/not in this environment's allowed_hosts.* 403$/s);
    const tunnel = await sandbox.exec(`${viaProxy} -p http://127.0.0.1:${deniedPort}/`);
    expect(tunnel.exitCode).not.toBe(0);
    expect(tunnel.stdout).not.toContain('denied-body');
    expect(denials).toEqual([
      expect.objectContaining({ sessionId, host: '127.0.0.1', port: deniedPort, method: 'GET' }),
      expect.objectContaining({ sessionId, host: '127.0.0.1', port: deniedPort, method: 'CONNECT' }),
    ]);
  });

  it('limited: bypassing the proxy reaches nothing (own network namespace)', async () => {
    const sandbox = await provider.get(session(), limited());
    const direct = await sandbox.exec(`curl -sS -m 5 --noproxy '*' http://127.0.0.1:${allowedPort}/`);
    expect(direct.exitCode).not.toBe(0);
    expect(direct.stdout).not.toContain('allowed-ok');
    const devTcp = await sandbox.exec(
      `(exec 3<>/dev/tcp/127.0.0.1/${deniedPort}) && echo connected || echo refused`,
    );
    expect(devTcp.stdout).toContain('refused');
  });

  it('unrestricted: shares the host network', async () => {
    const sandbox = await provider.get(session(), EnvironmentConfig.parse({ name: 'open' }));
    const result = await sandbox.exec(`curl -sS -m 10 http://127.0.0.1:${deniedPort}/`);
    expect(result.stdout).toBe('denied-body');
  });

  it("unrestricted with unrestrictedNetwork 'proxy': own namespace, host loopback refused", async () => {
    const proxied = createLocalSandboxProvider({
      dataDir,
      logger: silentLogger(),
      unrestrictedNetwork: 'proxy',
      onEgressDenied: (d) => denials.push(d),
    });
    try {
      const sessionId = session();
      const sandbox = await proxied.get(sessionId, EnvironmentConfig.parse({ name: 'open' }));
      const viaProxyResult = await sandbox.exec(
        `${viaProxy} -w ' %{http_code}' http://127.0.0.1:${deniedPort}/`,
      );
      expect(viaProxyResult.stdout).toMatch(/loopback or private address.* 403$/s);
      const direct = await sandbox.exec(`curl -sS -m 5 --noproxy '*' http://127.0.0.1:${deniedPort}/`);
      expect(direct.exitCode).not.toBe(0);
      expect(denials).toEqual([expect.objectContaining({ sessionId, host: '127.0.0.1', port: deniedPort })]);
    } finally {
      await proxied.close();
    }
  });
});
