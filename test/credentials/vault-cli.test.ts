import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { createTestIo, createWorkspace } from '../cli/helpers.js';

let ws: Awaited<ReturnType<typeof createWorkspace>>;
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  ws = await createWorkspace();
  env = {
    ANTHROPIC_API_KEY: 'sk-test',
    THREADHAND_AGENTS_DIR: ws.agentsDir,
    THREADHAND_DATA_DIR: ws.dataDir,
    PATH: process.env.PATH,
  };
});
afterEach(() => ws.cleanup());

async function cli(args: string[]) {
  const t = createTestIo(env);
  const code = await runCli(args, t.io);
  return { code, out: t.out(), err: t.err() };
}

describe('threadhand vault', () => {
  it('create, add, ls (names only), rm; values never printed', async () => {
    expect((await cli(['vault', 'create', 'work'])).out).toMatch(/^vault work created \(vlt_/);
    expect((await cli(['vault', 'create', 'work'])).code).toBe(1);
    const added = await cli([
      'vault',
      'add',
      'work',
      'NPM_TOKEN',
      '--host',
      'registry.npmjs.org',
      '--host',
      'npm.pkg.github.com',
      '--value',
      'npm_secret_0042',
    ]);
    expect(added.code).toBe(0);
    expect(added.out).toBe(
      'NPM_TOKEN added in vault work (hosts: registry.npmjs.org, npm.pkg.github.com; headers)\n',
    );
    expect(
      (await cli(['vault', 'add', 'work', 'NPM_TOKEN', '--host', 'x.example', '--body', '--value', 'v2']))
        .out,
    ).toContain('replaced');
    expect((await cli(['vault', 'ls'])).out).toBe('work\n');
    const ls = await cli(['vault', 'ls', 'work']);
    expect(ls.out).toBe('NPM_TOKEN\tx.example\n');
    expect(ls.out + added.out + added.err).not.toContain('npm_secret_0042');
    expect((await cli(['vault', 'add', 'work', 'bad-name', '--host', 'h', '--value', 'v'])).code).toBe(2);
    expect((await cli(['vault', 'add', 'work', 'TOKEN', '--value', 'v'])).err).toContain('--host');
    expect((await cli(['vault', 'rm', 'work', 'NPM_TOKEN'])).out).toBe('NPM_TOKEN removed from vault work\n');
    expect((await cli(['vault', 'ls', 'work'])).out).toBe('');
    expect((await cli(['vault', 'rm', 'nope', 'X'])).err).toContain('No vault named nope');
  });

  it('run --vault names a vault that must exist', async () => {
    const run = await cli(['run', '--vault', 'missing', 'hello']);
    expect(run.code).toBe(2);
    expect(run.err).toContain('No vault named missing');
  });
});
