import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEgressProxy, type EgressDenial, type EgressProxy } from '../../src/credentials/proxy.js';
import { allowedHostsFor, isHostAllowed, isPrivateAddress } from '../../src/credentials/proxy-hosts.js';
import { silentLogger } from '../../src/logging.js';

describe('allowed_hosts matching', () => {
  it('matches hosts, wildcards, ports and URLs', () => {
    const rules = [
      'api.example.com',
      '*.github.com',
      '.npmjs.org',
      'localhost:8080',
      'https://pypi.org',
      '[::1]:9000',
    ];
    expect(isHostAllowed(rules, 'API.example.com.', 443)).toBe(true);
    expect(isHostAllowed(rules, 'example.com', 443)).toBe(false);
    expect(isHostAllowed(rules, 'raw.github.com', 443)).toBe(true);
    expect(isHostAllowed(rules, 'github.com', 443)).toBe(false);
    expect(isHostAllowed(rules, 'npmjs.org', 443)).toBe(true);
    expect(isHostAllowed(rules, 'registry.npmjs.org', 443)).toBe(true);
    expect(isHostAllowed(rules, 'localhost', 8080)).toBe(true);
    expect(isHostAllowed(rules, 'localhost', 8081)).toBe(false);
    expect(isHostAllowed(rules, 'pypi.org', 443)).toBe(true);
    expect(isHostAllowed(rules, '::1', 9000)).toBe(true);
    expect(isHostAllowed(rules, 'evil-github.com', 443)).toBe(false);
  });

  it('classifies loopback, private and link-local addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
    ]) {
      expect(isPrivateAddress(a)).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '172.32.0.1'])
      expect(isPrivateAddress(a)).toBe(false);
  });

  it('derives the allowlist from the environment networking', () => {
    expect(allowedHostsFor({ type: 'unrestricted' })).toBeUndefined();
    expect(
      allowedHostsFor({
        type: 'limited',
        allowed_hosts: ['a.com'],
        allow_mcp_servers: false,
        allow_package_managers: false,
      }),
    ).toEqual(['a.com']);
    expect(
      allowedHostsFor({
        type: 'limited',
        allowed_hosts: [],
        allow_mcp_servers: false,
        allow_package_managers: true,
      }),
    ).toContain('registry.npmjs.org');
  });
});

describe('egress proxy', () => {
  let upstream: http.Server;
  let upstreamPort: number;
  let proxy: EgressProxy;
  let proxyPort: number;
  const denials: EgressDenial[] = [];
  const seen: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    upstream = http.createServer((req, res) => {
      seen.push({
        url: req.url,
        auth: req.headers.authorization,
        proxyAuth: req.headers['proxy-authorization'],
      });
      res.end(`upstream saw ${req.url}`);
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;
    proxy = createEgressProxy({
      logger: silentLogger(),
      onDenied: (d) => denials.push(d),
      // The credentials hook: swap a placeholder for the real secret, for this host only.
      rewriteRequest: (request) =>
        request.headers.authorization === 'Bearer PLACEHOLDER'
          ? { ...request, headers: { ...request.headers, authorization: 'Bearer real-secret' } }
          : request,
    });
    const listener = await proxy.listenTcp(0, {
      sessionId: 'sesn_proxy',
      allowedHosts: [`127.0.0.1:${upstreamPort}`],
    });
    proxyPort = listener.port ?? 0;
  });
  afterAll(async () => {
    await proxy.close();
    upstream.close();
  });

  function viaProxy(
    path: string,
    headers: Record<string, string> = {},
    port = upstreamPort,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: proxyPort, path: `http://127.0.0.1:${port}${path}`, headers },
        (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('forwards allowed plain-HTTP requests through the rewrite hook, dropping proxy headers', async () => {
    const result = await viaProxy('/x?y=1', {
      authorization: 'Bearer PLACEHOLDER',
      'proxy-authorization': 'Basic abc',
    });
    expect(result).toEqual({ status: 200, body: 'upstream saw /x?y=1' });
    expect(seen.at(-1)).toEqual({ url: '/x?y=1', auth: 'Bearer real-secret', proxyAuth: undefined });
  });

  it('refuses other hosts with 403 and reports them', async () => {
    const result = await viaProxy('/', {}, upstreamPort + 1 === 65536 ? 1 : upstreamPort + 1);
    expect(result.status).toBe(403);
    expect(result.body).toMatch(/not in this environment's allowed_hosts/);
    expect(denials.at(-1)).toMatchObject({ sessionId: 'sesn_proxy', host: '127.0.0.1', method: 'GET' });
  });

  it('tunnels allowed CONNECT requests and refuses others', async () => {
    const connect = (target: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = net.connect(proxyPort, '127.0.0.1', () => {
          socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`);
        });
        let data = '';
        socket.on('data', (chunk) => {
          data += chunk.toString();
          if (data.startsWith('HTTP/1.1 200') && data.includes('\r\n\r\n') && !data.includes('GET-SENT')) {
            data += 'GET-SENT';
            socket.write(`GET /tunnel HTTP/1.1\r\nHost: ${target}\r\nConnection: close\r\n\r\n`);
          }
        });
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
    expect(await connect(`127.0.0.1:${upstreamPort}`)).toContain('upstream saw /tunnel');
    const refused = await connect('example.invalid:443');
    expect(refused).toMatch(/^HTTP\/1.1 403/);
    expect(denials.at(-1)).toMatchObject({ host: 'example.invalid', port: 443, method: 'CONNECT' });
  });

  it('with every host allowed but private addresses denied, refuses loopback names and IPs', async () => {
    const open = await proxy.listenTcp(0, {
      sessionId: 'sesn_open',
      allowedHosts: undefined,
      denyPrivateAddresses: true,
    });
    for (const host of ['127.0.0.1', 'localhost']) {
      const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(
          { host: '127.0.0.1', port: open.port, path: `http://${host}:${upstreamPort}/` },
          (res) => {
            let body = '';
            res.on('data', (c) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(result.status).toBe(403);
      expect(result.body).toMatch(/resolves to a loopback or private address/);
    }
    expect(denials.at(-1)).toMatchObject({ sessionId: 'sesn_open', host: 'localhost' });
    await open.close();
  });
});
