/**
 * The host-side clone behind `github_repository` session resources: the token goes to the
 * git server as a header and nowhere into the clone that is unpacked in the sandbox.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizationHeader, CloneError, cloneRepository } from '../../src/resources/git.js';
import { type FakeGitServer, startFakeGitServer } from '../fakes/git/server.js';

const TOKEN = 'clonetok_5f1e0c9a7b3d';
let git: FakeGitServer;
let work: string;

beforeAll(async () => {
  git = await startFakeGitServer({ token: TOKEN });
  git.createRepository('lib', [{ files: { 'lib.txt': 'library\n' } }]);
  work = mkdtempSync(join(tmpdir(), 'th-clone-test-'));
});
afterAll(async () => {
  await git?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Unpacks the archive and returns every file's bytes, .git included, as one string. */
function unpack(archive: Buffer, name: string): { dir: string; everything: string } {
  const dir = join(work, name);
  execFileSync('mkdir', ['-p', dir]);
  const tar = join(work, `${name}.tar`);
  writeFileSync(tar, archive);
  execFileSync('tar', ['-xf', tar, '-C', dir]);
  const files = execFileSync('find', [dir, '-type', 'f'], { encoding: 'utf8' }).trim().split('\n');
  return { dir, everything: files.map((f) => readFileSync(f).toString('latin1')).join('\n') };
}

describe('cloneRepository', () => {
  it('sends the token as a bearer header and leaves it out of .git/config and every file of the clone', async () => {
    const before = git.authorizations.length;
    const archive = await cloneRepository({ url: `${git.url}/lib.git`, token: TOKEN, checkout: null });
    expect(git.authorizations.slice(before)).toContain(`Bearer ${TOKEN}`);
    const { dir, everything } = unpack(archive, 'http');
    expect(readFileSync(join(dir, 'lib.txt'), 'utf8')).toBe('library\n');
    const config = readFileSync(join(dir, '.git', 'config'), 'utf8');
    expect(config).toContain(`url = ${git.url}/lib.git`);
    expect(config).not.toMatch(/extraheader|authorization/i);
    expect(everything).not.toContain(TOKEN);
  });

  it('fails with a clone_failed error that does not echo the token when the server refuses it', async () => {
    const wrong = 'wrongtok_0123456789';
    const error = await cloneRepository({ url: `${git.url}/lib.git`, token: wrong, checkout: null }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CloneError);
    expect((error as CloneError).code).toBe('clone_failed');
    expect((error as CloneError).message).toMatch(/git clone failed/);
    expect((error as CloneError).message).not.toContain(wrong);
  });

  it('uses basic x-access-token auth for github.com and a bearer token elsewhere', () => {
    expect(authorizationHeader('https://github.com/o/r.git', 't0k')).toBe(
      `Authorization: Basic ${Buffer.from('x-access-token:t0k').toString('base64')}`,
    );
    expect(authorizationHeader('https://git.example.com/o/r.git', 't0k')).toBe('Authorization: Bearer t0k');
  });
});
