/**
 * Child processes in these tests run TypeScript entry points; Node 20 cannot load `.ts`, so
 * each entry is bundled once with esbuild (node_modules kept external) into node_modules/.cache.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * Relative imports whose file does not exist (yet) stay external instead of failing the
 * bundle: the composition root loads optional parts with dynamic imports the tests never
 * reach, because they inject those parts.
 */
const missingStayExternal: Plugin = {
  name: 'missing-stay-external',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      const candidates = [target, target.replace(/\.js$/, '.ts'), `${target}.ts`, join(target, 'index.ts')];
      return candidates.some((c) => existsSync(c)) ? undefined : { path: args.path, external: true };
    });
  },
};

const here = dirname(fileURLToPath(import.meta.url));
const root =
  existsSync(join(here, 'build.ts')) || existsSync(join(here, 'build.js'))
    ? resolve(here, '../../..')
    : process.cwd();
const outDir = join(root, 'node_modules', '.cache', 'threadhand-procs');

/** Bundles `test/runtime/procs/<name>.ts` and returns the path of the runnable `.mjs`. */
export async function buildProc(name: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}-${process.pid}.mjs`);
  // From the sources (vitest) the entry is `.ts`; from a tsc build (`dist/`) it is `.js`.
  // When this file itself was bundled (e.g. a bench run), fall back to the working directory.
  const dirs = [here, join(process.cwd(), 'test', 'runtime', 'procs')];
  const entry = dirs
    .flatMap((dir) => [join(dir, `${name}.ts`), join(dir, `${name}.js`)])
    .find((path) => existsSync(path));
  if (!entry) throw new Error(`no child-process entry ${name} in ${here}`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'silent',
    plugins: [missingStayExternal],
  });
  process.once('exit', () => rmSync(outfile, { force: true }));
  return outfile;
}

export interface Proc<M> {
  child: ChildProcess;
  messages: M[];
  /** Resolves with the first message (already received or future) that matches. */
  waitFor(match: (message: M) => boolean, timeoutMs?: number): Promise<M>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Forks a built proc with an IPC channel; messages from the child are collected. */
export function startProc<M>(file: string, env: Record<string, string>): Proc<M> {
  const child = fork(file, [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    cwd: root,
  });
  const messages: M[] = [];
  const waiters = new Set<{ match: (m: M) => boolean; resolve: (m: M) => void }>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });
  child.on('message', (message) => {
    const m = message as M;
    messages.push(m);
    for (const waiter of [...waiters]) {
      if (waiter.match(m)) {
        waiters.delete(waiter);
        waiter.resolve(m);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.on('exit', (code, signal) => resolveExit({ code, signal }));
  });
  return {
    child,
    messages,
    exited,
    stderr: () => stderr,
    waitFor(match, timeoutMs = 60_000) {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise<M>((resolveWait, reject) => {
        const waiter = { match, resolve: resolveWait };
        waiters.add(waiter);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`child ${child.pid}: no matching message within ${timeoutMs} ms\n${stderr}`));
        }, timeoutMs);
        exited.then(() => {
          if (!waiters.has(waiter)) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          reject(new Error(`child ${child.pid} exited before the expected message\n${stderr}`));
        });
        const done = waiter.resolve;
        waiter.resolve = (m) => {
          clearTimeout(timer);
          done(m);
        };
      });
    },
  };
}
