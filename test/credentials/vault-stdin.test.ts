/**
 * `threadhand vault add VAULT NAME --host H` with the value piped on stdin, as the README shows
 * (`gh auth token | threadhand vault add ...`), through the real binary (bin/threadhand.js ->
 * dist/; run `npm run build` first). The value is stored (listed, and injected into a session's
 * request) and never printed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CredentialWorkspace, createCredentialWorkspace, UPSTREAM_HOST } from './cli-session.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'threadhand.js');
const SECRET = `tok_${Math.random().toString(36).slice(2)}PipedSecret${Date.now()}`;

interface BinaryResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the binary with `stdin` piped in (not a terminal), as `echo x | threadhand ...` does. */
function threadhand(args: string[], env: NodeJS.ProcessEnv, stdin: string): Promise<BinaryResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { HOME: process.env.HOME, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

let cw: CredentialWorkspace;
let added: BinaryResult;
let ls: BinaryResult;
let empty: BinaryResult;

beforeAll(async () => {
  expect(
    existsSync(join(root, 'dist', 'src', 'cli', 'index.js')),
    'dist/ is missing: run `npm run build`',
  ).toBe(true);
  cw = await createCredentialWorkspace();
  expect((await threadhand(['vault', 'create', 'work'], cw.env, '')).code).toBe(0);
  // `echo "$TOKEN" | ...`: the trailing newline is not part of the secret.
  added = await threadhand(
    ['vault', 'add', 'work', 'API_TOKEN', '--host', UPSTREAM_HOST],
    cw.env,
    `${SECRET}\n`,
  );
  empty = await threadhand(['vault', 'add', 'work', 'EMPTY_TOKEN', '--host', UPSTREAM_HOST], cw.env, '');
  ls = await threadhand(['vault', 'ls', 'work'], cw.env, '');
}, 60_000);

afterAll(async () => {
  await cw?.close();
});

describe('threadhand vault add with the value on stdin (real binary)', { timeout: 60_000 }, () => {
  it('confirms the name and hosts, and never echoes the value', () => {
    expect(added.stderr).not.toContain('Error');
    expect(added.code).toBe(0);
    expect(added.stdout).toBe(`API_TOKEN added in vault work (hosts: ${UPSTREAM_HOST}; headers)\n`);
    expect(added.stdout + added.stderr).not.toContain(SECRET);
  });

  it('an empty stdin is refused with a message saying how to give the value, and nothing is stored', () => {
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('The secret value is empty: pass it on stdin or with --value.');
    expect(ls.code).toBe(0);
    expect(ls.stdout).toBe(`API_TOKEN\t${UPSTREAM_HOST}\n`);
    expect(ls.stdout + ls.stderr).not.toContain(SECRET);
  });

  it('a session using the vault gets the piped value injected; its sandbox holds only the placeholder', async () => {
    const run = await cw.runBash(
      [
        `curl -sS -H "Authorization: Bearer $API_TOKEN" ${cw.base}/piped; echo "curl_exit=$?"`,
        'echo "sandbox_sees=$API_TOKEN"',
      ].join('\n'),
      ['--vault', 'work'],
    );
    expect(run.code).toBe(0);
    expect(run.toolOutput).toContain(`hello from ${UPSTREAM_HOST}`);
    expect(run.toolOutput).toContain('curl_exit=0');
    // Exactly the value, without stdin's trailing newline.
    expect(cw.upstream.requests.find((r) => r.path === '/piped')?.authorization).toBe(`Bearer ${SECRET}`);
    expect(run.toolOutput).toMatch(/^sandbox_sees=threadhand-placeholder-[0-9a-f]{40}$/m);
    expect(run.toolOutput + run.eventsJson + cw.printed()).not.toContain(SECRET);
  });
});
