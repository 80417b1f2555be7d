/** Plain-HTTP injection through the egress proxy (HTTPS is covered end to end in injection.test.ts). */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createCaCertificate, createCertificateAuthority } from '../../src/credentials/ca.js';
import type { InjectableCredential } from '../../src/credentials/index.js';
import { createEgressProxy, type EgressDenial } from '../../src/credentials/proxy.js';
import { createCredentialInjector } from '../../src/credentials/proxy-inject.js';
import { silentLogger } from '../../src/logging.js';

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const credential: InjectableCredential = {
  credentialId: 'vcrd_1',
  vaultId: 'vlt_1',
  secretName: 'API_TOKEN',
  placeholder: 'threadhand-placeholder-0123456789abcdef',
  allowedHosts: ['127.0.0.1'],
  header: true,
  body: false,
  secretValue: 'the-real-value',
};

function get(proxyPort: number, url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxyPort, path: url, headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('credential injection over plain HTTP', () => {
  it('swaps the placeholder for the allowed host; refuses and reports it for another', async () => {
    const seen: (string | undefined)[] = [];
    const upstream = http.createServer((req, res) => {
      seen.push(String(req.headers['x-api-key']));
      res.end('ok');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise<void>((r) => upstream.close(() => r())));
    const port = (upstream.address() as AddressInfo).port;

    const denials: EgressDenial[] = [];
    const injector = createCredentialInjector({
      broker: { get: (sessionId) => (sessionId === 'sesn_1' ? [credential] : []) },
      ca: createCertificateAuthority(createCaCertificate('test')),
      logger: silentLogger(),
      onDenied: (d) => denials.push(d),
    });
    const proxy = createEgressProxy({
      logger: silentLogger(),
      onDenied: (d) => denials.push(d),
      rewriteRequest: injector.rewriteRequest,
      handleConnect: injector.handleConnect,
    });
    closers.push(() => proxy.close());
    const listener = await proxy.listenTcp(0, {
      sessionId: 'sesn_1',
      allowedHosts: ['127.0.0.1', 'localhost'],
    });

    const ok = await get(listener.port ?? 0, `http://127.0.0.1:${port}/`, {
      'x-api-key': credential.placeholder,
    });
    expect(ok).toEqual({ status: 200, body: 'ok' });
    expect(seen).toEqual(['the-real-value']);

    const refused = await get(listener.port ?? 0, `http://localhost:${port}/`, {
      'x-api-key': credential.placeholder,
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('$API_TOKEN');
    expect(refused.body).not.toContain('the-real-value');
    expect(seen).toHaveLength(1);
    expect(denials).toMatchObject([{ sessionId: 'sesn_1', host: 'localhost', method: 'GET' }]);
  });
});
