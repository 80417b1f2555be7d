import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { MISSING_API_KEY } from '../../src/config/env.js';
import { createTestIo, createWorkspace } from './helpers.js';

let ws: Awaited<ReturnType<typeof createWorkspace>>;
beforeEach(async () => {
  ws = await createWorkspace();
});
afterEach(async () => {
  await ws.cleanup();
});

describe('CLI errors and help', () => {
  it('a missing API key is one clear sentence on stderr and exit code 2', async () => {
    const t = createTestIo({ THREADHAND_AGENTS_DIR: ws.agentsDir, THREADHAND_DATA_DIR: ws.dataDir });
    const code = await runCli(['run', 'hello'], t.io);
    expect(code).toBe(2);
    expect(t.err()).toBe(`${MISSING_API_KEY}\n`);
    expect(t.out()).toBe('');
  });

  it('an invalid agent file fails with file:line errors and exit code 2', async () => {
    await writeFile(
      join(ws.agentsDir, 'broken.yaml'),
      'name: broken\nmodel: m\ntools:\n  - type: custom\n    name: x\n',
    );
    const t = createTestIo({
      ANTHROPIC_API_KEY: 'k',
      THREADHAND_AGENTS_DIR: ws.agentsDir,
      THREADHAND_DATA_DIR: ws.dataDir,
    });
    const code = await runCli(['run', 'hello'], t.io);
    expect(code).toBe(2);
    const file = join(ws.agentsDir, 'broken.yaml');
    expect(t.err()).toBe(
      `Invalid configuration:\n${file}:4: tools[0].description: is required (expected string)\n${file}:4: tools[0].input_schema: is required (expected object)\n`,
    );
  });

  it('an unknown agent or session is a clear message, not a stack trace', async () => {
    const env = {
      ANTHROPIC_API_KEY: 'k',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
      THREADHAND_AGENTS_DIR: ws.agentsDir,
      THREADHAND_DATA_DIR: ws.dataDir,
    };
    const t = createTestIo(env);
    expect(await runCli(['run', '--agent', 'nobody', 'hello'], t.io)).toBe(2);
    expect(t.err()).toBe('No agent "nobody". Known agents: tester.\n');
    const s = createTestIo(env);
    expect(await runCli(['sessions', 'show', 'sesn_nope'], s.io)).toBe(1);
    expect(s.err()).toBe('No session sesn_nope. List sessions with `threadhand sessions ls`.\n');
  });

  it('--help works on every command and usage mistakes exit 2', async () => {
    const commands = [
      [],
      ['run'],
      ['sessions'],
      ['sessions', 'ls'],
      ['sessions', 'show'],
      ['sessions', 'send'],
      ['sessions', 'respond'],
      ['sessions', 'replay'],
      ['doctor'],
      ['start'],
    ];
    for (const path of commands) {
      const t = createTestIo({});
      expect(await runCli([...path, '--help'], t.io)).toBe(0);
      expect(t.out()).toMatch(/^Usage: threadhand/);
    }
    const top = createTestIo({});
    await runCli(['--help'], top.io);
    for (const name of ['run', 'sessions', 'doctor', 'start']) expect(top.out()).toContain(`  ${name}`);
    const bad = createTestIo({});
    expect(await runCli(['run'], bad.io)).toBe(2);
    expect(bad.err()).toContain("missing required argument 'task'");
    const version = createTestIo({});
    expect(await runCli(['--version'], version.io)).toBe(0);
    expect(version.out()).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('read-only commands work without an API key', async () => {
    const t = createTestIo({ THREADHAND_AGENTS_DIR: ws.agentsDir, THREADHAND_DATA_DIR: ws.dataDir });
    expect(await runCli(['sessions', 'ls'], t.io)).toBe(0);
    expect(t.out()).toBe('No sessions yet. Start one with: threadhand run "your task"\n');
  });
});
