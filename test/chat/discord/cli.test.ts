import { afterEach, describe, expect, it } from 'vitest';
import type { CliIo } from '../../../src/cli/io.js';
import { runCli } from '../../../src/cli/program.js';
import { type FakeDiscord, startFakeDiscord } from '../../fakes/discord/index.js';

let fake: FakeDiscord | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function captureIo(env: NodeJS.ProcessEnv): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: { write: (t: string) => out.push(t) },
    stderr: { write: (t: string) => err.push(t) },
    stdinIsTTY: false,
    env,
    prompt: async () => '',
    onInterrupt: () => () => undefined,
    untilSignal: () => new Promise<string>(() => undefined),
  };
}

describe('threadhand discord register', () => {
  it('registers the manifest in a server and prints what Discord stored', async () => {
    fake = await startFakeDiscord();
    const io = captureIo({ DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.url });
    const code = await runCli(['discord', 'register', '--guild', fake.guild.id], io);
    expect(io.err.join('')).toBe('');
    expect(code).toBe(0);
    expect(io.out.join('')).toBe(
      `Registered 4 commands (guild ${fake.guild.id}) for application ${fake.applicationId}:\n  /task\n  /status\n  /stop\n  /sessions\n`,
    );
    expect((fake.commands.get(fake.guild.id) ?? []).map((c) => c.name)).toEqual([
      'task',
      'status',
      'stop',
      'sessions',
    ]);
  });

  it('says what to do without a token', async () => {
    const io = captureIo({});
    expect(await runCli(['discord', 'register'], io)).toBe(2);
    expect(io.err.join('')).toMatch(/DISCORD_TOKEN is not set/);
  });
});

describe('Connect Discord docs', () => {
  it('invite URL asks for exactly the permissions the bot checks', async () => {
    const { readFile } = await import('node:fs/promises');
    const { DISCORD_BOT_PERMISSIONS, discordInviteUrl } = await import('../../../src/chat/discord/index.js');
    const doc = await readFile(new URL('../../../docs/discord.md', import.meta.url), 'utf8');
    expect(doc).toContain(`permissions=${DISCORD_BOT_PERMISSIONS}`);
    expect(discordInviteUrl('123')).toContain(
      `client_id=123&scope=bot+applications.commands&permissions=${DISCORD_BOT_PERMISSIONS}`,
    );
  });
});
