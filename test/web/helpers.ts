/**
 * Browser tests of the web console: a real `threadhand start` child process (the CLI entry,
 * SQLite, worker, local bubblewrap sandboxes, the `dist/web` that `npm run build` produced)
 * against the fake model server, driven by Debian's headless Chromium through playwright-core.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { SessionEvent } from '../../src/events/schema.js';
import { type FakeAnthropic, type FakeScript, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { TEST_API_KEY } from '../helpers/threadhand.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin', 'threadhand.js');
const WEB_DIST = join(ROOT, 'dist', 'web');
const CLI_DIST = join(ROOT, 'dist', 'src', 'cli', 'index.js');
export const CHROMIUM = process.env.THREADHAND_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(ROOT, 'test-results', 'web');

/**
 * The agents every console test can use: `helper` has no tools, `shell` runs bash in the local
 * sandbox freely, `guarded` runs bash only after a human approves each call.
 */
const AGENTS: Record<string, string> = {
  'helper.yaml': 'name: helper\nmodel: claude-test\ndescription: Helps with tasks\nsystem: You help.\n',
  'shell.yaml': `name: shell
model: claude-test
description: Runs shell commands
system: You run commands.
tools:
  - type: agent_toolset_20260401
    default_config: { enabled: false }
    configs:
      - { name: bash, enabled: true, permission_policy: always_allow }
`,
  'guarded.yaml': `name: guarded
model: claude-test
description: Runs shell commands after approval
system: You deploy.
tools:
  - type: agent_toolset_20260401
    default_config: { enabled: false }
    configs:
      - { name: bash, enabled: true, permission_policy: always_ask }
`,
  'environments/default.yaml':
    'name: default\ndescription: Local sandbox for the console tests\nprovider: local\nnetworking: { type: unrestricted }\n',
};

/** Fails early, with what to do, when `npm run build` has not run. */
export function assertBuilt(): void {
  const missing = [WEB_DIST, CLI_DIST].filter((p) => !existsSync(p));
  if (missing.length > 0 || !existsSync(join(WEB_DIST, 'index.html'))) {
    throw new Error(
      `The web console tests run the built CLI and console, but ${missing.join(' and ') || join(WEB_DIST, 'index.html')} is missing: run \`npm run build\` first (npm test does).`,
    );
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const address = server.address();
  await new Promise<void>((ok) => server.close(() => ok()));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/**
 * A TCP relay in front of the server: the browser talks through it, so a test can cut every
 * open connection (the console's SSE stream among them) while the server keeps running.
 */
async function startRelay(port: number): Promise<{ url: string; drop(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  };
  const server: Server = createServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    track(inbound);
    track(outbound);
    const cut = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', cut).on('close', cut);
    outbound.on('error', cut).on('close', cut);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((ok, fail) => server.once('error', fail).listen(0, '127.0.0.1', ok));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('relay has no port');
  const drop = () => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: `http://127.0.0.1:${address.port}`,
    drop,
    close: () =>
      new Promise<void>((ok) => {
        drop();
        server.close(() => ok());
      }),
  };
}

/** The child's environment: the parent's, minus anything that would reach real services. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(THREADHAND_|ANTHROPIC_|SLACK_|DISCORD_|E2B_|OTEL_)/.test(k)) env[k] = v;
  }
  return { ...env, ...extra };
}

export interface ConsoleHarness {
  /** Where the browser opens the console (through the relay). */
  url: string;
  /** The server itself, for API clients. */
  apiUrl: string;
  /** The official SDK against the running server. */
  client: Anthropic;
  fake: FakeAnthropic;
  /** A session's `/workspace` on the host (local sandbox). */
  workspace(sessionId: string): string;
  /** Every stored event of a session, read through the API. */
  events(sessionId: string): Promise<SessionEvent[]>;
  /** Cuts every open browser connection (the SSE stream among them); the server stays up. */
  dropConnections(): void;
  close(): Promise<void>;
}

/** Starts `node bin/threadhand.js start` on a free port and waits for `/readyz`. */
/** Consoles started in the current test, stopped by `browserPerFile`'s afterEach. */
const running = new Set<() => Promise<void>>();

/**
 * One headless Chromium for the test file (launched before all tests, closed after them), and
 * every console a test started stopped after that test. Returns the browser.
 */
export function browserPerFile(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    assertBuilt();
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    for (const stop of [...running]) await stop();
  });
  return () => {
    if (!browser) throw new Error('the browser is not launched (browserPerFile registers beforeAll)');
    return browser;
  };
}

export async function startConsole(
  options: { script?: FakeScript; apiKeys?: string[] } = {},
): Promise<ConsoleHarness> {
  assertBuilt();
  const apiKeys = options.apiKeys ?? [];
  const dir = mkdtempSync(join(tmpdir(), 'threadhand-web-'));
  for (const [name, yaml] of Object.entries(AGENTS)) {
    mkdirSync(join(dir, 'agents', name, '..'), { recursive: true });
    writeFileSync(join(dir, 'agents', name), yaml);
  }
  const dataDir = join(dir, 'data');
  const fake = await startFakeAnthropic({ script: options.script ?? [], apiKey: TEST_API_KEY });
  const logs: string[] = [];
  let child: ChildProcess | undefined;
  let relay: Awaited<ReturnType<typeof startRelay>> | undefined;

  const exited = (ms: number) =>
    new Promise<boolean>((ok) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return ok(true);
      const timer = setTimeout(() => ok(false), ms);
      child.once('exit', () => {
        clearTimeout(timer);
        ok(true);
      });
    });
  const close = async () => {
    if (child?.pid !== undefined && !(await exited(0))) {
      child.kill('SIGTERM');
      // A second signal skips the grace period running turns get.
      if (!(await exited(3000))) child.kill('SIGTERM');
      if (!(await exited(3000))) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // the group is already gone
        }
      }
      await exited(3000);
    }
    await relay?.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // A port another process grabs between freePort() and the listen is retried with a new one.
    let apiUrl = '';
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      apiUrl = `http://127.0.0.1:${port}`;
      logs.length = 0;
      const started = spawn(process.execPath, [BIN, 'start'], {
        cwd: dir,
        detached: true, // its own process group, so a stuck child is killed with its sandboxes
        stdio: ['ignore', 'pipe', 'pipe'],
        env: childEnv({
          ANTHROPIC_BASE_URL: fake.url,
          ANTHROPIC_API_KEY: TEST_API_KEY,
          THREADHAND_DATA_DIR: dataDir,
          THREADHAND_AGENTS_DIR: join(dir, 'agents'),
          THREADHAND_HOST: '127.0.0.1',
          THREADHAND_PORT: String(port),
          THREADHAND_API_KEYS: apiKeys.join(','),
          NO_COLOR: '1',
        }),
      });
      child = started;
      for (const stream of [started.stdout, started.stderr])
        stream?.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
      const ready = await waitReady(apiUrl, started);
      if (ready) break;
      const output = logs.join('');
      if (attempt < 3 && output.includes('EADDRINUSE')) continue;
      throw new Error(`threadhand start did not become ready at ${apiUrl}/readyz:\n${output.slice(-4000)}`);
    }
    relay = await startRelay(Number(new URL(apiUrl).port));
    const client = new Anthropic({ baseURL: apiUrl, apiKey: apiKeys[0] ?? 'unused', maxRetries: 0 });
    const stop = async () => {
      running.delete(stop);
      await close();
    };
    running.add(stop);
    return {
      url: relay.url,
      apiUrl,
      client,
      fake,
      workspace: (sessionId) => join(dataDir, 'workspaces', sessionId),
      async events(sessionId) {
        const out: SessionEvent[] = [];
        for await (const event of client.beta.sessions.events.list(sessionId, { limit: 1000 }))
          out.push(event as unknown as SessionEvent);
        return out;
      },
      dropConnections: () => relay?.drop(),
      close: stop,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** True once `/readyz` answers 200; false when the child exits first or 30 s pass. */
async function waitReady(apiUrl: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      const response = await fetch(`${apiUrl}/readyz`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  return false;
}

/** Starts a session through the API with a first message, as another front door would. */
export async function startSession(
  h: ConsoleHarness,
  options: { agent?: string; title: string; prompt: string; metadata?: Record<string, string> },
): Promise<string> {
  const session = await h.client.beta.sessions.create({
    agent: options.agent ?? 'helper',
    environment_id: 'default',
    title: options.title,
    ...(options.metadata ? { metadata: options.metadata } : {}),
  });
  await h.client.beta.sessions.events.send(session.id, {
    events: [{ type: 'user.message', content: [{ type: 'text', text: options.prompt }] }],
  });
  return session.id;
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

/** Horizontal overflow of the page in CSS pixels (0 or less: no sideways scrolling). */
export const overflowX = (page: Page): Promise<number> =>
  page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
