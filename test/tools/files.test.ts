import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ToolRig, text, toolRig } from './helpers.js';

describe('read, write and edit tools', () => {
  let r: ToolRig;
  beforeAll(() => {
    r = toolRig();
  });
  afterAll(async () => {
    await r.close();
  });
  const exec = async (command: string) =>
    (await (await r.provider.get(r.sessionId, (await import('./helpers.js')).environment())).exec(command))
      .stdout;

  it('write creates the file (and its directories) in the workspace', async () => {
    const result = await r.call('write', { file_path: 'src/app/hello.py', content: 'print(42)\n' });
    expect(text(result)).toBe('Wrote 10 bytes to /workspace/src/app/hello.py.');
    expect(await exec('cat /workspace/src/app/hello.py')).toBe('print(42)\n');
  });

  it('read numbers lines and honours view_range', async () => {
    await r.call('write', { file_path: 'lines.txt', content: 'alpha\nbeta\ngamma\ndelta\n' });
    expect(text(await r.call('read', { file_path: 'lines.txt' }))).toBe(
      '     1\talpha\n     2\tbeta\n     3\tgamma\n     4\tdelta',
    );
    expect(text(await r.call('read', { file_path: '/workspace/lines.txt', view_range: [2, 3] }))).toBe(
      '     2\tbeta\n     3\tgamma\n[showing lines 2-3 of 4; use view_range to see others]',
    );
    expect(text(await r.call('read', { file_path: 'lines.txt', view_range: [3, -1] }))).toMatch(
      /^ {5}3\tgamma\n {5}4\tdelta\n/,
    );
  });

  it('read explains what is wrong: missing file, range outside the file, directory, binary', async () => {
    const missing = await r.call('read', { file_path: 'nope.txt' });
    expect(missing).toMatchObject({ is_error: true });
    expect(text(missing)).toBe('/workspace/nope.txt does not exist.');
    const range = await r.call('read', { file_path: 'lines.txt', view_range: [9, 10] });
    expect(range.is_error).toBe(true);
    expect(text(range)).toMatch(/has 4 lines/);
    const dir = await r.call('read', { file_path: 'src' });
    expect(text(dir)).toMatch(/is a directory/);
    await exec("printf 'a\\0b' > blob.bin");
    const binary = await r.call('read', { file_path: 'blob.bin' });
    expect(binary.is_error).toBe(true);
    expect(text(binary)).toMatch(/binary file/);
  });

  it('read returns images as image blocks', async () => {
    await exec("printf '\\x89PNG\\r\\n\\x1a\\n\\0\\0' > pic.png");
    const result = await r.call('read', { file_path: 'pic.png' });
    expect(result.content[0]).toMatchObject({
      type: 'image',
      source: { type: 'base64', media_type: 'image/png' },
    });
  });

  it('edit replaces an exact unique string, literally', async () => {
    await r.call('write', { file_path: 'edit.js', content: 'const a = 1;\nconst b = 2;\n' });
    const result = await r.call('edit', {
      file_path: 'edit.js',
      old_string: 'const b = 2;',
      new_string: "const b = '$&$1';",
    });
    expect(text(result)).toBe('Edited /workspace/edit.js: replaced 1 occurrence.');
    expect(await exec('cat edit.js')).toBe("const a = 1;\nconst b = '$&$1';\n");
  });

  it('edit fails clearly when the string is missing or not unique; replace_all replaces all', async () => {
    await r.call('write', { file_path: 'dup.txt', content: 'x = 1\nx = 1\n' });
    const missing = await r.call('edit', { file_path: 'dup.txt', old_string: 'y = 1', new_string: 'y = 2' });
    expect(missing.is_error).toBe(true);
    expect(text(missing)).toMatch(/not found in \/workspace\/dup.txt/);
    const ambiguous = await r.call('edit', {
      file_path: 'dup.txt',
      old_string: 'x = 1',
      new_string: 'x = 2',
    });
    expect(ambiguous.is_error).toBe(true);
    expect(text(ambiguous)).toMatch(/occurs 2 times.*replace_all/);
    expect(await exec('cat dup.txt')).toBe('x = 1\nx = 1\n');
    const all = await r.call('edit', {
      file_path: 'dup.txt',
      old_string: 'x = 1',
      new_string: 'x = 2',
      replace_all: true,
    });
    expect(text(all)).toMatch(/replaced 2 occurrences/);
    expect(await exec('cat dup.txt')).toBe('x = 2\nx = 2\n');
    const noFile = await r.call('edit', { file_path: 'ghost.txt', old_string: 'a', new_string: 'b' });
    expect(text(noFile)).toBe('/workspace/ghost.txt does not exist.');
  });

  it('write outside the writable area fails with the reason', async () => {
    const result = await r.call('write', { file_path: '/usr/local/bin/evil', content: 'x' });
    expect(result.is_error).toBe(true);
    expect(text(result)).toMatch(/Read-only file system/);
  });
});

describe('glob and grep tools', () => {
  let r: ToolRig;
  beforeAll(async () => {
    r = toolRig();
    await r.call('bash', {
      command: [
        'mkdir -p src/lib docs .git',
        'echo "export const one = 1" > src/lib/one.ts',
        'echo "// TODO: two" > src/two.ts && touch -d "2020-01-01" src/two.ts',
        'echo "top-level TODO" > main.ts',
        'echo "# TODO docs" > docs/readme.md',
        'echo "TODO in git" > .git/config',
      ].join(' && '),
    });
  });
  afterAll(async () => {
    await r.close();
  });

  it('glob matches doublestar patterns, newest first, skipping .git', async () => {
    const all = text(await r.call('glob', { pattern: '**/*.ts' })).split('\n');
    expect(all.sort()).toEqual(['/workspace/main.ts', '/workspace/src/lib/one.ts', '/workspace/src/two.ts']);
    const ordered = text(await r.call('glob', { pattern: '**/*.ts' })).split('\n');
    expect(ordered.at(-1)).toBe('/workspace/src/two.ts');
    expect(text(await r.call('glob', { pattern: '*.ts' }))).toBe('/workspace/main.ts');
    expect(text(await r.call('glob', { pattern: '*.ts', path: 'src' }))).toBe('/workspace/src/two.ts');
    expect(
      text(await r.call('glob', { pattern: '/workspace/src/**/*.{ts,md}' }))
        .split('\n')
        .sort(),
    ).toEqual(['/workspace/src/lib/one.ts', '/workspace/src/two.ts']);
    expect(text(await r.call('glob', { pattern: '**/*.rs' }))).toMatch(/^No files match/);
    expect((await r.call('glob', { pattern: '*', path: 'nowhere' })).is_error).toBe(true);
  });

  it('grep returns path:line:text with ripgrep, and says when nothing matched', async () => {
    const hits = text(await r.call('grep', { pattern: 'TODO' }))
      .split('\n')
      .sort();
    expect(hits).toEqual([
      '/workspace/docs/readme.md:1:# TODO docs',
      '/workspace/main.ts:1:top-level TODO',
      '/workspace/src/two.ts:1:// TODO: two',
    ]);
    expect(text(await r.call('grep', { pattern: 'const \\w+ = 1', path: 'src' }))).toBe(
      '/workspace/src/lib/one.ts:1:export const one = 1',
    );
    expect(text(await r.call('grep', { pattern: 'nothing-here' }))).toMatch(/^No matches/);
  });

  it('grep reports a bad regex or path as an error', async () => {
    const bad = await r.call('grep', { pattern: '(unclosed' });
    expect(bad.is_error).toBe(true);
    expect(text(bad)).toMatch(/regex parse error|unclosed/i);
    const missing = await r.call('grep', { pattern: 'x', path: 'ghost' });
    expect(missing.is_error).toBe(true);
    expect(text(missing)).toMatch(/does not exist/);
  });
});
