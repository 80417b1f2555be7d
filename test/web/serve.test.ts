/** mountWebConsole: the page at `/`, hashed assets, nothing outside the assets directory. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../src/api/http.js';
import { defaultWebAssetsDir, mountWebConsole } from '../../src/chat/web/serve.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function assets(): string {
  dir = mkdtempSync(join(tmpdir(), 'threadhand-web-assets-'));
  const root = join(dir, 'web');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Threadhand</title><div id="root"></div>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'not for the web');
  return root;
}

describe('mountWebConsole', () => {
  it('serves the page at / with a strict CSP and hashed assets with long caching', async () => {
    const app = createHttpApp();
    mountWebConsole(app, { assetsDir: assets() });
    const page = await app.request('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<div id="root">');
    const js = await app.request('/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
  });

  it('never serves files outside the assets directory and leaves other routes alone', async () => {
    const app = createHttpApp();
    mountWebConsole(app, { assetsDir: assets() });
    for (const path of [
      '/assets/../../secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/missing.js',
    ]) {
      const response = await app.request(path);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain('not for the web');
    }
    const api = await app.request('/v1/nothing');
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('says to run the build when the assets are missing', async () => {
    const app = createHttpApp();
    mountWebConsole(app, { assetsDir: join(tmpdir(), 'threadhand-no-such-dir') });
    const page = await app.request('/');
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('npm run build');
  });

  it('finds dist/web under the package root by default', () => {
    expect(defaultWebAssetsDir()).toBe(join(process.cwd(), 'dist', 'web'));
  });
});
