/** Shared setup for the E2B provider tests: a fake E2B and a file-backed sandbox-id record. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentConfig, type EnvironmentConfigInput } from '../../src/config/schema.js';
import { silentLogger } from '../../src/logging.js';
import {
  createE2BSandboxProvider,
  type E2BSandboxEvent,
  type E2BSandboxProvider,
  type E2BSandboxProviderOptions,
} from '../../src/sandbox/e2b/index.js';
import type { FakeE2B } from '../fakes/e2b/index.js';

/** Stands for the session log / KV the lead wires: sessionId -> sandbox id, kept in a file. */
export function fileSandboxRecord(dir: string) {
  const file = join(dir, 'e2b-sandboxes.json');
  const read = (): Record<string, string> =>
    existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : {};
  return {
    resolveSandboxId: (sessionId: string) => read()[sessionId],
    onSandboxCreated: (sessionId: string, sandboxId: string) =>
      writeFileSync(file, JSON.stringify({ ...read(), [sessionId]: sandboxId })),
    onSandboxDestroyed: (sessionId: string) => {
      const all = read();
      delete all[sessionId];
      writeFileSync(file, JSON.stringify(all));
    },
  };
}

export function e2bEnvironment(input: Partial<EnvironmentConfigInput> = {}): EnvironmentConfig {
  return EnvironmentConfig.parse({ name: 'e2b-test', provider: 'e2b', ...input });
}

export function makeE2BProvider(
  fake: FakeE2B,
  options: Partial<E2BSandboxProviderOptions> = {},
): { provider: E2BSandboxProvider; events: E2BSandboxEvent[] } {
  const events: E2BSandboxEvent[] = [];
  const provider = createE2BSandboxProvider({
    logger: silentLogger(),
    apiKey: fake.apiKey,
    apiUrl: fake.apiUrl,
    sandboxUrl: fake.sandboxUrl,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { provider, events };
}

export async function waitFor(
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

let counter = 0;
export function newSessionId(): string {
  counter += 1;
  return `sesn_e2b${process.pid}x${counter}`;
}
