import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EgressDenial } from '../../src/credentials/proxy.js';
import { agent, environment, type ToolRig, text, toolRig } from './helpers.js';

describe('web_fetch and web_search tools', () => {
  let server: http.Server;
  let base: string;
  let port: number;
  const rigs: ToolRig[] = [];
  const rig = (options: Parameters<typeof toolRig>[0] = {}) => {
    const r = toolRig(options);
    rigs.push(r);
    return r;
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      switch (req.url) {
        case '/page':
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(
            '<html><head><style>p{}</style><script>var x=1</script></head><body><h1>Title</h1><p>Hello <b>world</b> &amp; friends.</p><a href="https://example.com/doc">docs</a></body></html>',
          );
          return;
        case '/big':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('x'.repeat(500_000));
          return;
        case '/json':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
          return;
        case '/binary':
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          res.end(Buffer.from([0, 1, 2]));
          return;
        case '/redirect-out':
          res.writeHead(302, { location: 'http://localhost:1/elsewhere' });
          res.end();
          return;
        case '/missing':
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('no such page');
          return;
        default:
          res.writeHead(500);
          res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await Promise.all(rigs.map((r) => r.close()));
    server.close();
  });

  it('turns HTML into readable text, without provisioning a sandbox', async () => {
    const r = rig();
    const result = await r.call('web_fetch', { url: `${base}/page` });
    expect(result.is_error).toBeUndefined();
    const body = text(result);
    expect(body).toContain(`URL: ${base}/page\nStatus: 200`);
    expect(body).toMatch(/TITLE/i);
    expect(body).toContain('Hello world & friends.');
    expect(body).toContain('docs [https://example.com/doc]');
    expect(body).not.toContain('<');
    expect(body).not.toContain('var x');
    expect(r.provider.provisionCount()).toBe(0);
  });

  it('caps large bodies and marks them truncated', async () => {
    const r = rig({ webFetchMaxBytes: 10_000 });
    const body = text(await r.call('web_fetch', { url: `${base}/big` }));
    expect(body.length).toBeLessThan(11_000);
    expect(body).toContain('[content truncated]');
  });

  it('returns JSON as is; refuses binary content and bad URLs with a reason', async () => {
    const r = rig();
    expect(text(await r.call('web_fetch', { url: `${base}/json` }))).toContain('{"ok":true}');
    const binary = await r.call('web_fetch', { url: `${base}/binary` });
    expect(binary.is_error).toBe(true);
    expect(text(binary)).toMatch(/not text/);
    const bad = await r.call('web_fetch', { url: 'not a url' });
    expect(bad.is_error).toBe(true);
    expect(text(bad)).toMatch(/not a valid URL/);
    const ftp = await r.call('web_fetch', { url: 'ftp://example.com/x' });
    expect(text(ftp)).toMatch(/Only http and https/);
  });

  it('reports HTTP errors as is_error with the status', async () => {
    const r = rig();
    const result = await r.call('web_fetch', { url: `${base}/missing` });
    expect(result.is_error).toBe(true);
    expect(text(result)).toContain('Status: 404');
  });

  it('under limited networking, fetches allowed hosts only (redirects included) and reports denials', async () => {
    const denials: EgressDenial[] = [];
    const r = rig({
      environment: environment({ networking: { type: 'limited', allowed_hosts: [`127.0.0.1:${port}`] } }),
      onEgressDenied: (d) => denials.push(d),
    });
    expect(text(await r.call('web_fetch', { url: `${base}/json` }))).toContain('{"ok":true}');
    const denied = await r.call('web_fetch', { url: 'http://localhost:9/' });
    expect(denied.is_error).toBe(true);
    expect(text(denied)).toMatch(/localhost:9 is not in this environment's allowed_hosts/);
    const redirected = await r.call('web_fetch', { url: `${base}/redirect-out` });
    expect(redirected.is_error).toBe(true);
    expect(text(redirected)).toMatch(/localhost:1 is not in/);
    expect(denials.map((d) => `${d.host}:${d.port}`)).toEqual(['localhost:9', 'localhost:1']);
    expect(denials[0]?.sessionId).toBe(r.sessionId);
  });

  it('web_search without a backend says it is not configured', async () => {
    const r = rig({
      agent: agent([{ type: 'agent_toolset_20260401', configs: [{ name: 'web_search', enabled: true }] }]),
    });
    const result = await r.call('web_search', { query: 'threadhand' });
    expect(result.is_error).toBe(true);
    expect(text(result)).toMatch(/no search backend configured/);
  });

  it('web_search formats results from the configured backend', async () => {
    const queries: string[] = [];
    const r = rig({
      webSearch: {
        name: 'fake',
        async search(query, { maxResults }) {
          queries.push(`${query}/${maxResults}`);
          return [{ title: 'Threadhand', url: 'https://threadhand.dev', snippet: 'Self-hosted\n agents' }];
        },
      },
    });
    const result = await r.call('web_search', { query: 'threadhand', max_results: 3 });
    expect(text(result)).toBe('1. Threadhand\n   https://threadhand.dev\n   Self-hosted agents');
    expect(queries).toEqual(['threadhand/3']);
  });
});
