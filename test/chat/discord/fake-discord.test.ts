import { Client, GatewayIntentBits, Partials, PermissionFlagsBits } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeDiscord, makeUser, startFakeDiscord } from '../../fakes/discord/index.js';

describe('fake Discord with the real discord.js client', () => {
  let fake: FakeDiscord | undefined;
  let client: Client | undefined;
  afterEach(async () => {
    await client?.destroy();
    await fake?.close();
  });

  it('logs in, gets READY and GUILD_CREATE, and sees its own permissions', async () => {
    fake = await startFakeDiscord({ heartbeatIntervalMs: 200 });
    client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
      partials: [Partials.Channel, Partials.Message],
      rest: { api: fake.url, retries: 0 },
    });
    const ready = new Promise<void>((resolve) => client!.once('clientReady', () => resolve()));
    await client.login(fake.token);
    await ready;
    const guild = client.guilds.cache.get(fake.guild.id);
    expect(guild?.members.me?.id).toBe(fake.bot.id);
    const channel = guild?.channels.cache.get(fake.channel.id);
    const perms = channel && 'permissionsFor' in channel ? channel.permissionsFor(guild!.members.me!) : null;
    expect(perms?.has(PermissionFlagsBits.CreatePublicThreads)).toBe(true);
    const app = await client.application!.fetch();
    expect(app.id).toBe(fake.applicationId);

    const got = new Promise<string>((resolve) =>
      client!.on('messageCreate', (m) => {
        if (!m.author.bot) resolve(m.content);
      }),
    );
    fake.postMessage({ user: makeUser('42', 'alice'), content: 'hello', mentionBot: true });
    expect(await got).toContain('hello');

    const deadline = Date.now() + 5000;
    while (fake.heartbeats === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(fake.heartbeats).toBeGreaterThan(0);
  });
});
