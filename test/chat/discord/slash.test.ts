import { afterEach, describe, expect, it } from 'vitest';
import { loadCommandManifest, registerDiscordCommands } from '../../../src/chat/discord/index.js';
import { type FakeDiscord, startFakeDiscord } from '../../fakes/discord/index.js';
import { alice, type DiscordStack, footers, mallory, startDiscordStack, until } from './helpers.js';

let stack: DiscordStack | undefined;
let bare: FakeDiscord | undefined;
afterEach(async () => {
  await stack?.close();
  await bare?.close();
  stack = undefined;
  bare = undefined;
});

describe('Discord slash commands', () => {
  it('/task defers within 3 s, then opens a thread on the reply and answers there', async () => {
    stack = await startDiscordStack({
      script: [{ content: [{ type: 'text', text: 'Task answer.' }], delayMs: 3500 }],
    });
    const { discord } = stack;
    const { id } = discord.runCommand({
      user: alice,
      name: 'task',
      options: { prompt: 'summarise the repo' },
    });
    const interaction = await until(
      () => discord.interaction(id)?.acknowledged && discord.interaction(id),
      5000,
      'the ack',
    );
    expect(interaction.acknowledged?.type).toBe(5);
    expect(interaction.acknowledged!.at - interaction.createdAt).toBeLessThan(3000);
    const replyId = await until(() => interaction.originalMessageId, 5000, 'the reply');
    const threadId = await until(() => discord.thread(replyId)?.id, 5000, 'a thread on the reply');
    expect(discord.world.messages.get(replyId)?.content).toBe('**Task:** summarise the repo');
    expect(discord.thread(threadId)?.name).toBe('summarise the repo');
    // The model answered after 3.5 s, long after Discord's window: the deferral kept it valid.
    await footers(discord, threadId);
    expect(discord.botMessagesIn(threadId).map((m) => m.content)).toContain('Task answer.');
  });

  it('/status, /sessions and /stop answer privately; /stop is refused to others', async () => {
    stack = await startDiscordStack({ script: [{ content: [{ type: 'text', text: 'Hi.' }] }] });
    const { discord } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'say hi', mentionBot: true });
    const threadId = await until(() => discord.thread(message.id)?.id, 5000, 'thread');
    await footers(discord, threadId);

    const reply = async (user: typeof alice, name: string, channelId: string) => {
      const { id } = discord.runCommand({ user, name, channelId });
      const original = await until(
        () => {
          const i = discord.interaction(id);
          const m = i?.originalMessageId ? discord.world.messages.get(i.originalMessageId) : undefined;
          return m && m.revisions.length > 1 ? m : undefined;
        },
        5000,
        `/${name} reply`,
      );
      expect(discord.interaction(id)?.acknowledged?.type).toBe(5);
      return original;
    };
    const status = await reply(alice, 'status', threadId);
    expect(status.flags & 64).toBe(64);
    expect(status.content).toMatch(/Status: idle \(end_turn\)/);
    const sessions = await reply(alice, 'sessions', discord.channel.id);
    expect(sessions.content).toContain(`<#${threadId}> — idle — say hi`);
    const refused = await reply(mallory, 'stop', threadId);
    expect(refused.content).toContain(`Only <@${alice.id}> or an operator can stop`);
    expect(refused.allowed_mentions?.parse).toEqual([]);
    const stopped = await reply(alice, 'stop', threadId);
    expect(stopped.content).toBe('Stopping.');
    const sessionId = await stack.t.th.runtime.sessionForThread({ platform: 'discord', thread: threadId });
    const events = await stack.t.events(sessionId!);
    expect(events.filter((e) => e.type === 'user.interrupt')).toHaveLength(1);
  });
});

describe('threadhand discord register', () => {
  it('sends the manifest to a guild or globally', async () => {
    bare = await startFakeDiscord();
    const manifest = await loadCommandManifest();
    const guild = await registerDiscordCommands({
      token: bare.token,
      apiUrl: bare.url,
      guildId: bare.guild.id,
      retries: 0,
    });
    expect(guild.scope).toBe(`guild ${bare.guild.id}`);
    const stored = bare.commands.get(bare.guild.id) ?? [];
    expect(stored.map((c) => c.name)).toEqual(['task', 'status', 'stop', 'sessions']);
    expect(stored).toEqual(manifest.map((c) => expect.objectContaining(c)));
    const put = bare.calls.find((c) => c.method === 'PUT');
    expect(put?.path).toBe(`/applications/${bare.applicationId}/guilds/${bare.guild.id}/commands`);
    await registerDiscordCommands({ token: bare.token, apiUrl: bare.url, retries: 0 });
    expect((bare.commands.get('global') ?? []).map((c) => c.name)).toEqual([
      'task',
      'status',
      'stop',
      'sessions',
    ]);
    await expect(registerDiscordCommands({ token: 'wrong', apiUrl: bare.url, retries: 0 })).rejects.toThrow();
  });
});
