/**
 * Serves the built web console (`dist/web/`, made by `npm run build`) on the shared Hono app
 * at `/`. The console is a plain client of the `/v1` API: it has no routes of its own.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import type { Logger } from '../../logging.js';

export interface WebConsoleOptions {
  /** Directory holding `index.html` and `assets/` (default: `<package root>/dist/web`). */
  assetsDir?: string;
  logger?: Logger;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** `<package root>/dist/web`, found by walking up from this file to the nearest package.json. */
export function defaultWebAssetsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    const parent = dirname(dir);
    if (parent === dir) return resolve('dist', 'web');
    dir = parent;
  }
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
};

/**
 * Mounts `GET /` (the console page) and `GET /assets/*` (hashed bundles) on `app`. Routes are
 * hash-based in the browser (`/#/sessions/...`), so no fallback route can shadow the API.
 * Without built assets, `/` answers 503 saying to run `npm run build`.
 */
export function mountWebConsole(app: Hono, options: WebConsoleOptions = {}): void {
  const root = resolve(options.assetsDir ?? defaultWebAssetsDir());
  let indexHtml: string | undefined;
  const loadIndex = (): string | undefined => {
    if (indexHtml !== undefined) return indexHtml;
    const file = join(root, 'index.html');
    if (!existsSync(file)) return undefined;
    indexHtml = readFileSync(file, 'utf8');
    return indexHtml;
  };
  if (!loadIndex()) {
    options.logger?.warn({ assetsDir: root }, 'web console assets not built: run `npm run build`');
  }

  const page = (c: Context) => {
    const html = loadIndex();
    if (!html) {
      return c.html(
        '<!doctype html><title>Threadhand</title><p>The web console is not built. Run <code>npm run build</code> and restart Threadhand.</p>',
        503,
      );
    }
    return c.html(html, 200, { ...SECURITY_HEADERS, 'cache-control': 'no-cache' });
  };
  app.get('/', (c) => page(c));
  app.get('/index.html', (c) => page(c));

  app.get('/assets/*', async (c, next) => {
    const relative = decodeURIComponent(c.req.path.slice(1));
    const file = resolve(root, relative);
    if (!file.startsWith(root + sep)) return next();
    let body: Buffer;
    try {
      if (!statSync(file).isFile()) return next();
      body = await readFile(file);
    } catch {
      return next();
    }
    return c.body(new Uint8Array(body), 200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      // File names carry a content hash (Vite), so they can be cached for good.
      'cache-control': 'public, max-age=31536000, immutable',
      'x-content-type-options': 'nosniff',
    });
  });
}
