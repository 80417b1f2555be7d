/**
 * Browser tests of the web console: a real Threadhand (SQLite, harness, worker, fake model
 * server) with the `/v1` API and the built console on one HTTP listener, driven by Debian's
 * headless Chromium through playwright-core.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { createLayeredCatalog } from '../../src/api/records.js';
import { AgentConfig, EnvironmentConfig } from '../../src/config/schema.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import type { Tool } from '../../src/tools/types.js';
import type { FakeScript } from '../fakes/anthropic/server.js';
import { startTestThreadhand, staticCatalog, type TestThreadhand } from '../helpers/threadhand.js';

const ROOT = resolve(import.meta.dirname, '../..');
const APP_DIR = join(ROOT, 'src/chat/web/app');
export const CHROMIUM = process.env.THREADHAND_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-results', 'web');

function sourceHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(path).update(readFileSync(path));
    }
  };
  walk(APP_DIR);
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds the console with Vite (the same config `npm run build` uses) into
 * `test-results/.web-build/<hash of the app sources>`, reused while the sources are unchanged.
 */
export async function buildConsole(): Promise<string> {
  const out = join(ROOT, 'test-results', '.web-build', sourceHash());
  if (existsSync(join(out, 'index.html'))) return out;
  const tmp = `${out}.tmp-${process.pid}`;
  await build({
    configFile: join(APP_DIR, 'vite.config.ts'),
    logLevel: 'error',
    build: { outDir: tmp, emptyOutDir: true, sourcemap: false },
  });
  mkdirSync(join(out, '..'), { recursive: true });
  try {
    renameSync(tmp, out);
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another worker built it first
  }
  // Builds of older sources are never used again.
  const cache = join(out, '..');
  for (const name of readdirSync(cache)) {
    if (join(cache, name) !== out && !name.includes('.tmp-'))
      rmSync(join(cache, name), { recursive: true, force: true });
  }
  return out;
}

export interface ConsoleHarness {
  t: TestThreadhand;
  url: string;
  /** Cuts every open HTTP connection (the console's SSE stream among them); the listener stays up. */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startConsole(options: {
  script?: FakeScript;
  extraTools?: Tool[];
  apiKeys?: string[];
  assetsDir: string;
}): Promise<ConsoleHarness> {
  const yaml = staticCatalog(
    [
      AgentConfig.parse({
        name: 'helper',
        model: 'claude-test',
        description: 'Helps with tasks',
        system: 'You help.',
      }),
    ],
    [EnvironmentConfig.parse({ name: 'default' })],
  );
  const apiKeys = options.apiKeys ?? [];
  const dir = mkdtempSync(join(tmpdir(), 'threadhand-web-'));
  const stores = createSqliteStores({ dir });
  let t: TestThreadhand | undefined = await startTestThreadhand({
    script: options.script ?? [],
    dir,
    stores,
    catalog: createLayeredCatalog(yaml, stores.resources),
    start: false,
    http: { host: '127.0.0.1', port: 0 },
    webConsole: { assetsDir: options.assetsDir },
    env: { THREADHAND_API_KEYS: apiKeys.join(',') },
    extraTools: options.extraTools ?? [],
  });
  const { th } = t;
  await th.start();
  const http = th.http;
  if (!http) throw new Error('Threadhand did not start its HTTP listener');
  return {
    t,
    url: http.url,
    dropConnections: () => (http.server as import('node:http').Server).closeAllConnections(),
    async close() {
      await t?.close();
      t = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/setup.sh (apt-get install chromium).`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function openPage(
  browser: Browser,
  url: string,
  viewport = { width: 1280, height: 900 },
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, baseURL: url });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return { context, page };
}

export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
