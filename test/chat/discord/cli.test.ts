import { afterEach, describe, expect, it } from 'vitest';
import { discordCommand } from '../../../src/cli/commands/discord.js';
import { type FakeDiscord, startFakeDiscord } from '../../fakes/discord/index.js';

let fake: FakeDiscord | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('threadhand discord register', () => {
  it('registers the manifest in a guild and prints what Discord stored', async () => {
    fake = await startFakeDiscord();
    const lines: string[] = [];
    const cmd = discordCommand({
      env: { DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.url },
      out: (l) => lines.push(l),
    });
    await cmd.parseAsync(['register', '--guild', fake.guild.id], { from: 'user' });
    expect(lines[0]).toBe(
      `Registered 4 commands (guild ${fake.guild.id}) for application ${fake.applicationId}:`,
    );
    expect(lines.slice(1)).toEqual(['  /task', '  /status', '  /stop', '  /sessions']);
    expect((fake.commands.get(fake.guild.id) ?? []).map((c) => c.name)).toEqual([
      'task',
      'status',
      'stop',
      'sessions',
    ]);
  });

  it('says what to do without a token', async () => {
    const cmd = discordCommand({ env: {}, out: () => undefined });
    await expect(cmd.parseAsync(['register'], { from: 'user' })).rejects.toThrow(/DISCORD_TOKEN is not set/);
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
