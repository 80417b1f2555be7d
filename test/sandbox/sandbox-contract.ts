/**
 * The Sandbox contract suite: every SandboxProvider runs it (local bubblewrap, E2B).
 *
 * `makeProvider(stateDir)` builds a provider whose persistent state lives in `stateDir`; it is
 * called a second time with the same directory to stand for a Threadhand restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentConfig } from '../../src/config/schema.js';
import type { SandboxProvider } from '../../src/sandbox/types.js';

export interface SandboxContractOptions {
  /** The environment sessions use (default: `{ name: 'contract' }`, unrestricted). */
  environment?: EnvironmentConfig;
}

let counter = 0;
function sessionId(): string {
  counter += 1;
  return `sesn_contract${process.pid}x${counter}`;
}

async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function describeSandboxContract(
  name: string,
  makeProvider: (stateDir: string) => SandboxProvider | Promise<SandboxProvider>,
  options: SandboxContractOptions = {},
): void {
  const environment = options.environment ?? EnvironmentConfig.parse({ name: 'contract' });

  describe(`Sandbox contract: ${name}`, () => {
    let stateDir: string;
    const providers: SandboxProvider[] = [];
    const open = async (): Promise<SandboxProvider> => {
      const provider = await makeProvider(stateDir);
      providers.push(provider);
      return provider;
    };

    beforeEach(() => {
      stateDir = mkdtempSync(join(tmpdir(), 'th-contract-'));
    });
    afterEach(async () => {
      await Promise.all(providers.splice(0).map((p) => p.close()));
      rmSync(stateDir, { recursive: true, force: true });
    });

    it('provisions lazily: nothing until get, once per session', async () => {
      const provider = await open();
      const id = sessionId();
      expect(provider.provisionCount()).toBe(0);
      expect(provider.peek(id)).toBeUndefined();
      const [a, b] = await Promise.all([provider.get(id, environment), provider.get(id, environment)]);
      expect(provider.provisionCount()).toBe(1);
      expect(a.id).toBe(b.id);
      expect(provider.peek(id)?.id).toBe(a.id);
      await provider.get(id, environment);
      expect(provider.provisionCount()).toBe(1);
    });

    it('runs commands in /workspace with exit codes, stderr, cwd and env', async () => {
      const provider = await open();
      const sandbox = await provider.get(sessionId(), environment);
      const ok = await sandbox.exec('echo hello; pwd; echo oops >&2');
      expect(ok).toMatchObject({ exitCode: 0, timedOut: false, aborted: false, truncated: false });
      expect(ok.stdout).toBe('hello\n/workspace\n');
      expect(ok.stderr).toBe('oops\n');
      const failed = await sandbox.exec('exit 3');
      expect(failed.exitCode).toBe(3);
      await sandbox.exec('mkdir -p sub/dir');
      const inDir = await sandbox.exec('pwd; echo "$GREETING"', {
        cwd: 'sub/dir',
        env: { GREETING: 'hi there' },
      });
      expect(inDir.stdout).toBe('/workspace/sub/dir\nhi there\n');
    });

    it('streams output while the command is still running', async () => {
      const provider = await open();
      const sandbox = await provider.get(sessionId(), environment);
      const chunks: string[] = [];
      let released: Promise<void> | undefined;
      const result = await sandbox.exec(
        'echo ready; while [ ! -f /workspace/go ]; do sleep 0.05; done; echo done',
        {
          timeoutMs: 20_000,
          onStdout(chunk) {
            chunks.push(chunk);
            if (!released && chunks.join('').includes('ready')) released = sandbox.writeFile('go', 'now');
          },
        },
      );
      // The write may still be finishing when the loop sees the file: let it end before teardown.
      await released;
      expect(result.timedOut).toBe(false);
      expect(result.exitCode).toBe(0);
      expect(chunks.join('')).toBe('ready\ndone\n');
    });

    it('kills a command at its timeout and resolves with timedOut', async () => {
      const provider = await open();
      const sandbox = await provider.get(sessionId(), environment);
      const started = Date.now();
      const result = await sandbox.exec('echo before; sleep 30; echo after', { timeoutMs: 500 });
      expect(result.timedOut).toBe(true);
      expect(result.exitCode).not.toBe(0);
      expect(result.stdout).toBe('before\n');
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it('abort kills the whole process tree: a child never writes its file', async () => {
      const provider = await open();
      const sandbox = await provider.get(sessionId(), environment);
      const controller = new AbortController();
      const started = Date.now();
      const result = await sandbox.exec('(sleep 0.8; echo late > /workspace/late.txt) & echo started; wait', {
        signal: controller.signal,
        timeoutMs: 20_000,
        onStdout: (chunk) => {
          if (chunk.includes('started')) controller.abort();
        },
      });
      expect(result.aborted).toBe(true);
      expect(Date.now() - started).toBeLessThan(5_000);
      // Give the orphan well past its 0.8 s to show up; it must never.
      const deadline = Date.now() + 2_000;
      while (Date.now() < deadline) {
        const probe = await sandbox.exec('test -e /workspace/late.txt && echo present || echo absent');
        expect(probe.stdout).toBe('absent\n');
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    it('caps output with a truncation marker', async () => {
      const provider = await open();
      const sandbox = await provider.get(sessionId(), environment);
      const result = await sandbox.exec("head -c 200000 /dev/zero | tr '\\0' a; echo; echo END", {
        maxOutputBytes: 4000,
      });
      expect(result.exitCode).toBe(0);
      expect(result.truncated).toBe(true);
      expect(result.stdout.length).toBeLessThan(5000);
      expect(result.stdout).toMatch(/truncated/);
    });

    it('reads, writes and lists files, shared with commands', async () => {
      const provider = await open();
      const sandbox = await provider.get(sessionId(), environment);
      const binary = Buffer.from([0, 1, 2, 255, 10, 13, 0]);
      await sandbox.writeFile('/workspace/data/bin.dat', binary);
      await sandbox.writeFile('notes/hello.txt', 'héllo\n');
      expect(Buffer.compare(await sandbox.readFile('data/bin.dat'), binary)).toBe(0);
      expect((await sandbox.exec('cat notes/hello.txt')).stdout).toBe('héllo\n');
      await sandbox.exec('echo from-shell > made.txt && mkdir -p dir1');
      expect((await sandbox.readFile('/workspace/made.txt')).toString()).toBe('from-shell\n');
      const entries = await sandbox.list('/workspace');
      const byName = new Map(entries.map((e) => [e.name, e]));
      expect(byName.get('made.txt')).toMatchObject({ type: 'file', size: 11, path: '/workspace/made.txt' });
      expect(byName.get('dir1')?.type).toBe('dir');
      expect(byName.get('notes')?.type).toBe('dir');
      await expect(sandbox.readFile('missing.txt')).rejects.toMatchObject({ code: 'not_found' });
      await expect(sandbox.readFile('dir1')).rejects.toMatchObject({ code: 'not_a_file' });
      await expect(sandbox.list('made.txt')).rejects.toMatchObject({ code: 'not_a_directory' });
    });

    it('keeps the workspace across a restart (a new provider on the same state)', async () => {
      const id = sessionId();
      const first = await open();
      const before = await first.get(id, environment);
      await before.writeFile('keep.txt', 'still here');
      await first.close();
      const second = await open();
      expect(second.peek(id)).toBeUndefined();
      const after = await second.get(id, environment);
      expect((await after.readFile('keep.txt')).toString()).toBe('still here');
      expect((await after.exec('cat keep.txt')).stdout).toBe('still here');
      expect(second.provisionCount()).toBe(0);
    });

    it('pause then resume keeps the workspace; the next use after a pause resumes too', async () => {
      const id = sessionId();
      const provider = await open();
      const sandbox = await provider.get(id, environment);
      await sandbox.writeFile('kept.txt', 'kept by file');
      await sandbox.exec('echo kept by shell > shell.txt');
      await sandbox.pause();
      await sandbox.resume();
      expect((await sandbox.readFile('kept.txt')).toString()).toBe('kept by file');
      expect((await sandbox.exec('cat shell.txt kept.txt')).stdout).toBe('kept by shell\nkept by file');
      await sandbox.pause();
      expect((await sandbox.exec('cat shell.txt')).stdout).toBe('kept by shell\n');
      expect((await sandbox.list('/workspace')).map((e) => e.name)).toEqual(['kept.txt', 'shell.txt']);
      expect(provider.provisionCount()).toBe(1);
    });

    it('counts one provision per sandbox and active seconds that only grow', async () => {
      const provider = await open();
      const sandbox = await provider.get(sessionId(), environment);
      expect(sandbox.counters().provisions).toBe(1);
      expect((await sandbox.exec('sleep 0.3')).exitCode).toBe(0);
      const ran = sandbox.counters();
      expect(ran.activeSeconds).toBeGreaterThanOrEqual(0.25);
      await sandbox.pause();
      const paused = sandbox.counters();
      expect(paused.activeSeconds).toBeGreaterThanOrEqual(ran.activeSeconds);
      await new Promise((r) => setTimeout(r, 300)); // a paused sandbox's clock stands still
      expect(sandbox.counters().activeSeconds).toBe(paused.activeSeconds);
      await sandbox.resume();
      expect((await sandbox.exec('sleep 0.3')).exitCode).toBe(0);
      const after = sandbox.counters();
      expect(after.activeSeconds).toBeGreaterThanOrEqual(paused.activeSeconds + 0.25);
      expect(after.provisions).toBe(1);
      expect(provider.provisionCount()).toBe(1);
      const other = await provider.get(sessionId(), environment);
      expect(other.counters().provisions).toBe(1);
      expect(provider.provisionCount()).toBe(2);
    });

    it('destroy removes the workspace for good', async () => {
      const id = sessionId();
      const provider = await open();
      const sandbox = await provider.get(id, environment);
      await sandbox.writeFile('gone.txt', 'x');
      await provider.destroy(id);
      expect(provider.peek(id)).toBeUndefined();
      const again = await provider.get(id, environment);
      expect(provider.provisionCount()).toBe(2);
      await expect(again.readFile('gone.txt')).rejects.toMatchObject({ code: 'not_found' });
    });
  });
}

export { waitFor };
