import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type ToolRig, text, toolRig } from './helpers.js';

describe('bash tool', () => {
  const rigs: ToolRig[] = [];
  const rig = (options: Parameters<typeof toolRig>[0] = {}) => {
    const r = toolRig(options);
    rigs.push(r);
    return r;
  };
  afterEach(async () => {
    await Promise.all(rigs.splice(0).map((r) => r.close()));
  });

  it('runs a command and provisions the sandbox lazily on first use', async () => {
    const r = rig();
    expect(r.provider.provisionCount()).toBe(0);
    const result = await r.call('bash', { command: 'echo hello && echo warn >&2' });
    expect(result.is_error).toBeUndefined();
    expect(text(result)).toBe('hello\n[stderr]\nwarn');
    expect(r.provider.provisionCount()).toBe(1);
  });

  it('keeps the working directory and exported variables between calls', async () => {
    const r = rig();
    await r.call('bash', {
      command: 'mkdir -p proj/src && cd proj/src && export GREETING="hi there" && LOCAL_ONLY=1',
    });
    const result = await r.call('bash', {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax
      command: 'pwd; echo "$GREETING"; echo "local=${LOCAL_ONLY:-unset}"',
    });
    expect(text(result)).toBe('/workspace/proj/src\nhi there\nlocal=unset');
  });

  it('saves the shell state even when the command exits non-zero', async () => {
    const r = rig();
    const failed = await r.call('bash', { command: 'mkdir -p d && cd d && export X=1 && exit 4' });
    expect(failed.is_error).toBeUndefined();
    expect(text(failed)).toBe('[exit code 4]');
    expect(text(await r.call('bash', { command: 'pwd; echo $X' }))).toBe('/workspace/d\n1');
  });

  it('the shell state survives a Threadhand restart; restart resets it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'th-bash-restart-'));
    try {
      const first = toolRig({ dataDir, sessionId: 'sesn_bashrestart' });
      await first.call('bash', { command: 'mkdir -p w && cd w && export TOKEN_NAME=abc' });
      await first.close();
      const second = toolRig({ dataDir, sessionId: 'sesn_bashrestart' });
      rigs.push(second);
      expect(text(await second.call('bash', { command: 'pwd; echo $TOKEN_NAME' }))).toBe('/workspace/w\nabc');
      expect(text(await second.call('bash', { restart: true }))).toMatch(/restarted/);
      expect(text(await second.call('bash', { command: 'pwd; echo "[$TOKEN_NAME]"' }))).toBe(
        '/workspace\n[]',
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('streams output through onProgress as it comes', async () => {
    const r = rig();
    const result = await r.call('bash', { command: 'for i in 1 2 3; do echo line$i; sleep 0.05; done' });
    expect(text(result)).toBe('line1\nline2\nline3');
    expect(r.progress.join('')).toBe('line1\nline2\nline3\n');
    expect(r.progress.length).toBeGreaterThan(1);
  });

  it('times out with an is_error result that says so', async () => {
    const r = rig();
    const started = Date.now();
    const result = await r.call('bash', { command: 'echo start; sleep 20', timeout_ms: 400 });
    expect(result.is_error).toBe(true);
    expect(text(result)).toMatch(/^start\n\[command timed out after 400 ms and was killed/);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('is interrupted by the abort signal', async () => {
    const r = rig();
    const pending = r.call('bash', { command: 'echo go; sleep 20' });
    const deadline = Date.now() + 10_000;
    while (!r.progress.join('').includes('go') && Date.now() < deadline)
      await new Promise((res) => setTimeout(res, 20));
    r.controller.abort();
    const result = await pending;
    expect(result.is_error).toBe(true);
    expect(text(result)).toContain('[command interrupted and killed]');
  });

  it('truncates long output with a note', async () => {
    const r = rig({ maxOutputBytes: 2000 });
    const result = await r.call('bash', { command: 'seq 1 100000' });
    const out = text(result);
    expect(out.length).toBeLessThan(3000);
    expect(out).toMatch(/^1\n2\n3\n/);
    expect(out).toContain('100000');
    expect(out).toContain('[output truncated');
  });

  it('asks for a command when none is given', async () => {
    const r = rig();
    const result = await r.call('bash', {});
    expect(result.is_error).toBe(true);
    expect(text(result)).toMatch(/Provide `command`/);
  });

  it('write then bash: create hello.py and run it; the file stays in the workspace', async () => {
    const r = rig();
    await r.call('write', { file_path: 'hello.py', content: 'print(42)\n' });
    expect(text(await r.call('bash', { command: 'python3 hello.py' }))).toBe('42');
    expect(readFileSync(join(r.dataDir, 'workspaces', r.sessionId, 'hello.py'), 'utf8')).toBe('print(42)\n');
  });
});
