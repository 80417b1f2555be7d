import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from '../../src/cli/io.js';
import { PromptInterrupted } from '../../src/cli/io.js';

export interface TestIo {
  io: CliIo;
  out(): string;
  err(): string;
  prompts: string[];
  /** Simulates Ctrl-C. */
  interrupt(): void;
  /** Resolves `untilSignal` (stops `threadhand start`). */
  signal(name?: string): void;
}

export function createTestIo(
  env: NodeJS.ProcessEnv,
  options: { tty?: boolean; answers?: string[] } = {},
): TestIo {
  let out = '';
  let err = '';
  const prompts: string[] = [];
  const answers = [...(options.answers ?? [])];
  const handlers = new Set<() => void>();
  // Like the process: each call waits for a signal of its own; a signal sent before anyone
  // waits is kept for the next call (a test may signal before the command starts waiting).
  const pending: string[] = [];
  const waiters: ((name: string) => void)[] = [];
  const nextSignal = (name: string) => {
    const waiter = waiters.shift();
    if (waiter) waiter(name);
    else pending.push(name);
  };
  const untilSignal = () => {
    const early = pending.shift();
    return early !== undefined
      ? Promise.resolve(early)
      : new Promise<string>((resolve) => waiters.push(resolve));
  };
  const io: CliIo = {
    stdout: { write: (s: string) => (out += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    stdinIsTTY: options.tty ?? false,
    env,
    async prompt(question) {
      prompts.push(question);
      const answer = answers.shift();
      if (answer === undefined) throw new PromptInterrupted();
      return answer;
    },
    onInterrupt(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    untilSignal,
  };
  return {
    io,
    out: () => out,
    err: () => err,
    prompts,
    interrupt: () => {
      for (const h of [...handlers]) h();
    },
    signal: (name = 'SIGTERM') => nextSignal(name),
  };
}

export const TEST_AGENT = `name: tester
model: claude-test
system: You are a test agent.
tools:
  - type: custom
    name: lookup_weather
    description: Looks up the weather for a city.
    input_schema:
      type: object
      properties:
        city: { type: string }
      required: [city]
  - type: agent_toolset_20260401
    default_config:
      enabled: false
    configs:
      - name: bash
        enabled: true
        permission_policy: always_ask
`;

/** A temporary agents dir (one test agent + a local environment) and data dir. */
export async function createWorkspace(): Promise<{
  root: string;
  agentsDir: string;
  dataDir: string;
  cleanup(): Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), 'threadhand-cli-'));
  const agentsDir = join(root, 'agents');
  await mkdir(join(agentsDir, 'environments'), { recursive: true });
  await writeFile(join(agentsDir, 'tester.yaml'), TEST_AGENT);
  await writeFile(join(agentsDir, 'environments', 'local.yaml'), 'name: default\nprovider: local\n');
  return {
    root,
    agentsDir,
    dataDir: join(root, 'data'),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function until<T>(probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((r) => setTimeout(r, 10));
  }
}
