// The real `threadhand` binary (bin/threadhand.js -> dist/), as a user runs it. `npm test`
// builds dist/ first (tsc); run `npm run build` before running this file alone.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MISSING_API_KEY } from '../../src/config/env.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { createWorkspace } from './helpers.js';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'threadhand.js');

function threadhand(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let ws: Awaited<ReturnType<typeof createWorkspace>>;
let fake: FakeAnthropic;
beforeEach(async () => {
  expect(
    existsSync(join(root, 'dist', 'src', 'cli', 'index.js')),
    'dist/ is missing: run `npm run build`',
  ).toBe(true);
  ws = await createWorkspace();
  fake = await startFakeAnthropic();
});
afterEach(async () => {
  await fake.close();
  await ws.cleanup();
});

describe('threadhand binary', { timeout: 60_000 }, () => {
  it('a missing API key is one sentence on stderr, exit code 2, no stack trace', async () => {
    const result = await threadhand(
      ['run', 'hello'],
      { THREADHAND_AGENTS_DIR: ws.agentsDir, THREADHAND_DATA_DIR: ws.dataDir },
      ws.root,
    );
    expect(result.stderr).toBe(`${MISSING_API_KEY}\n`);
    expect(result.code).toBe(2);
  });

  it('runs a task against the model at ANTHROPIC_BASE_URL and prints the streamed answer', async () => {
    fake.setScript([{ content: [{ type: 'text', text: 'Hello from the binary.' }] }]);
    const env = {
      ANTHROPIC_API_KEY: 'k',
      ANTHROPIC_BASE_URL: fake.url,
      THREADHAND_AGENTS_DIR: ws.agentsDir,
      THREADHAND_DATA_DIR: ws.dataDir,
    };
    const result = await threadhand(['run', 'say hello'], env, ws.root);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('Hello from the binary.\n');
    expect(result.code).toBe(0);
    const id = /session (sesn_\S+)/.exec(result.stdout)?.[1] ?? '';
    const shown = await threadhand(['sessions', 'show', id, '--json'], env, ws.root);
    expect(shown.code).toBe(0);
    expect(
      shown.stdout
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { type: string }).type),
    ).toContain('agent.message');
  });
});
