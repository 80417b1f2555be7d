/**
 * The script in README.md "HTTP API", run as the user would run it: the code block is taken
 * from the README itself, written to a file and run with node against a local Threadhand, so the
 * test fails as soon as the README's script stops working.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestThreadhand, type TestThreadhand } from '../helpers/threadhand.js';

const run = promisify(execFile);

let t: TestThreadhand | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** The ```ts block of the README section that starts with `heading`. */
function readmeScript(heading: string): string {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(heading));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error(`no ts code block after "${heading}" in README.md`);
  return match[1];
}

describe('README script', () => {
  it('the HTTP API script from README.md creates a session, sends a message and prints the streamed answer', async () => {
    t = await startTestThreadhand({
      agents: [{ name: 'default', model: 'claude-test' }],
      script: [{ content: [{ type: 'text', text: 'Hello from your own agent runtime!' }], chunkSize: 4 }],
      http: { host: '127.0.0.1', port: 0 },
      env: { THREADHAND_API_KEYS: 'readme-key' },
    });
    const url = t.th.http?.url as string;
    // Inside the repository, so `@anthropic-ai/sdk` resolves from its node_modules.
    const dir = join(process.cwd(), 'test-results', 'readme-script');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'hello-threadhand.mjs');
    writeFileSync(file, readmeScript('## HTTP API'));
    const { stdout } = await run(process.execPath, [file], {
      env: { ...process.env, THREADHAND_URL: url, THREADHAND_API_KEY: 'readme-key' },
      timeout: 20_000,
    });
    expect(stdout.trim()).toBe('Hello from your own agent runtime!');
    const sessions = await t.th.stores.log.listSessions({ limit: 10 });
    expect(sessions.data.map((s) => s.title)).toEqual(['README demo']);

    const wrongKey = new Anthropic({ baseURL: url, apiKey: 'nope', maxRetries: 0 });
    await expect(wrongKey.beta.sessions.retrieve(sessions.data[0]!.id)).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
  });
});
