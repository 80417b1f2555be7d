/**
 * The fake E2B speaks what the real `e2b` SDK sends: these tests drive the SDK itself (not our
 * provider) against it, so a protocol mismatch shows up here first.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CommandExitError, FileNotFoundError, Sandbox, SandboxNotFoundError } from 'e2b';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeE2B, startFakeE2B } from '../fakes/e2b/index.js';

let fake: FakeE2B;
let opts: { apiUrl: string; sandboxUrl: string; apiKey: string };

beforeAll(async () => {
  fake = await startFakeE2B();
  opts = { apiUrl: fake.apiUrl, sandboxUrl: fake.sandboxUrl, apiKey: fake.apiKey };
});
afterAll(async () => {
  await fake?.close();
});

/** As in E2B's `base` template, `/workspace` does not exist until root creates it. */
async function makeWorkspace(sbx: Sandbox): Promise<void> {
  await sbx.commands.run('mkdir /workspace', { user: 'root' });
}

describe('fake E2B with the real e2b SDK', () => {
  it('lets only root create a directory under / (the base template default user is not root)', async () => {
    const sbx = await Sandbox.create('base', opts);
    expect((await sbx.commands.run('echo $USER')).stdout).toBe('user\n');
    await expect(sbx.commands.run('mkdir /workspace')).rejects.toBeInstanceOf(CommandExitError);
    await expect(sbx.files.makeDir('/workspace')).rejects.toThrow(/permission denied/);
    await expect(sbx.files.write('/workspace/a.txt', 'x')).rejects.toThrow(/permission denied/);
    expect(await sbx.files.exists('/workspace')).toBe(false);
    expect(await sbx.files.makeDir('/workspace', { user: 'root' })).toBe(true);
    await sbx.files.write('/workspace/a.txt', 'x');
    expect((await sbx.commands.run('cat /workspace/a.txt')).stdout).toBe('x');
    await sbx.kill();
  });

  it('creates a sandbox, runs a command with streamed output and reads files', async () => {
    const sbx = await Sandbox.create('base', { ...opts, metadata: { session: 's1' } });
    await makeWorkspace(sbx);
    expect(fake.sandbox(sbx.sandboxId)?.metadata).toEqual({ session: 's1' });
    const chunks: string[] = [];
    const result = await sbx.commands.run(
      'cd /workspace && echo hello > a.txt && cat a.txt && echo err >&2 && pwd',
      {
        onStdout: (d) => void chunks.push(d),
      },
    );
    expect(result.stdout).toBe('hello\n/workspace\n');
    expect(result.stderr).toBe('err\n');
    expect(chunks.join('')).toBe('hello\n/workspace\n');
    expect(readFileSync(path.join(fake.sandbox(sbx.sandboxId)?.workspaceDir ?? '', 'a.txt'), 'utf8')).toBe(
      'hello\n',
    );

    await expect(sbx.commands.run('exit 3')).rejects.toBeInstanceOf(CommandExitError);
    await sbx.files.write('/workspace/dir/b.bin', new Blob([Buffer.from([1, 2, 3])]));
    expect(Buffer.from(await sbx.files.read('/workspace/dir/b.bin', { format: 'bytes' }))).toEqual(
      Buffer.from([1, 2, 3]),
    );
    const entries = await sbx.files.list('/workspace');
    expect(entries.map((e) => [e.name, e.type])).toEqual([
      ['a.txt', 'file'],
      ['dir', 'dir'],
    ]);
    expect(await sbx.files.makeDir('/workspace/dir')).toBe(false);
    expect(await sbx.files.exists('/workspace/nope')).toBe(false);
    await expect(sbx.files.read('/workspace/nope')).rejects.toBeInstanceOf(FileNotFoundError);
    await sbx.kill();
    expect(fake.sandbox(sbx.sandboxId)).toBeUndefined();
  });

  it('kills a running command', async () => {
    const sbx = await Sandbox.create('base', opts);
    const handle = await sbx.commands.run('echo started; sleep 30', { background: true, timeoutMs: 0 });
    const started = Date.now();
    expect(await handle.kill()).toBe(true);
    const outcome = await handle.wait().catch((err: unknown) => err);
    expect(outcome).toBeInstanceOf(CommandExitError);
    expect((outcome as CommandExitError).exitCode).toBe(-1);
    expect(Date.now() - started).toBeLessThan(5000);
    await sbx.kill();
  });

  it('pauses and resumes through connect; a killed sandbox is not found', async () => {
    const sbx = await Sandbox.create('base', opts);
    await makeWorkspace(sbx);
    await sbx.files.write('/workspace/keep.txt', 'kept');
    expect(await sbx.pause()).toBe(true);
    expect(fake.sandbox(sbx.sandboxId)?.state).toBe('paused');
    const again = await Sandbox.connect(sbx.sandboxId, opts);
    expect(fake.sandbox(sbx.sandboxId)?.state).toBe('running');
    expect(await again.files.read('/workspace/keep.txt')).toBe('kept');
    await again.setTimeout(120_000);
    fake.killOutside(sbx.sandboxId);
    await expect(Sandbox.connect(sbx.sandboxId, opts)).rejects.toBeInstanceOf(SandboxNotFoundError);
    await expect(again.commands.run('true')).rejects.toBeInstanceOf(SandboxNotFoundError);
  });
});
