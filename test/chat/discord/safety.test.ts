import { afterEach, describe, expect, it } from 'vitest';
import { makeUser, pingsOf } from '../../fakes/discord/index.js';
import { DEFAULT_BOT_PERMISSIONS, Perm } from '../../fakes/discord/state.js';
import { alice, type DiscordStack, footers, startDiscordStack, threadOn, until } from './helpers.js';

let stack: DiscordStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('Discord delivery and safety', () => {
  it('answers a message once, even when the gateway redelivers it, also after a restart', async () => {
    stack = await startDiscordStack({
      script: [
        { content: [{ type: 'text', text: 'Only once.' }] },
        { content: [{ type: 'text', text: 'Twice?!' }] },
      ],
    });
    const { discord, t } = stack;
    const { message, payload } = discord.postMessage({ user: alice, content: 'hello', mentionBot: true });
    discord.dispatch('MESSAGE_CREATE', payload);
    const threadId = await threadOn(discord, message.id);
    await footers(discord, threadId);
    // A new process (empty discord.js cache) gets the same message again.
    await stack.restart();
    discord.dispatch('MESSAGE_CREATE', payload);
    // And a message in the thread arrives twice: it must steer once.
    const steer = discord.postMessage({ user: alice, channelId: threadId, content: 'more' });
    discord.dispatch('MESSAGE_CREATE', steer.payload);
    await footers(discord, threadId, 2);
    const sessions = await t.th.stores.log.listSessions();
    expect(sessions.data).toHaveLength(1);
    const events = await t.events(sessions.data[0]!.id);
    expect(events.filter((e) => e.type === 'user.message')).toHaveLength(2);
    expect(t.fake.requests).toHaveLength(2);
    expect(discord.threads()).toHaveLength(1);
    expect(discord.botMessagesIn(threadId).filter((m) => m.content === 'Only once.')).toHaveLength(1);
  });

  it('waits out a REST 429 (Retry-After) and still delivers every message once', async () => {
    stack = await startDiscordStack({
      script: [{ content: [{ type: 'text', text: 'Despite the limit.' }] }],
    });
    const { discord } = stack;
    discord.rateLimit({ method: 'POST', path: /^\/channels\/\d+\/messages$/, retryAfter: 0.6, times: 1 });
    const { message } = discord.postMessage({ user: alice, content: 'go', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    await footers(discord, threadId);
    const posts = discord.calls.filter(
      (c) => c.method === 'POST' && c.path === `/channels/${threadId}/messages`,
    );
    expect(posts[0]?.status).toBe(429);
    expect(posts[1]?.status).toBe(200);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(550);
    expect(discord.botMessagesIn(threadId).map((m) => m.content)).toEqual([
      'Despite the limit.',
      expect.stringMatching(/^-# /),
    ]);
  });

  it('never lets agent output ping @everyone, roles or users', async () => {
    const text = `Attention @everyone and @here, also <@${alice.id}> and <@&123456789012345678>.`;
    stack = await startDiscordStack({ script: [{ content: [{ type: 'text', text }] }] });
    const { discord } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'announce', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    await footers(discord, threadId);
    const shown = discord.botMessagesIn(threadId).find((m) => m.content === text);
    expect(shown).toBeDefined();
    expect(pingsOf(shown!)).toEqual({ everyone: false, users: [], roles: [] });
    const writes = discord.calls.filter(
      (c) => /\/messages(\/\d+)?$/.test(c.path) && (c.method === 'POST' || c.method === 'PATCH'),
    );
    expect(writes.length).toBeGreaterThan(1);
    for (const call of writes) {
      expect((call.body as { allowed_mentions?: unknown }).allowed_mentions).toEqual({
        parse: [],
        replied_user: false,
      });
    }
  });

  it('ignores bots (itself included) and messages that do not mention it', async () => {
    stack = await startDiscordStack({ script: [{ content: [{ type: 'text', text: 'Hello human.' }] }] });
    const { discord, t } = stack;
    const robot = { ...makeUser('100000000000000009', 'robot'), bot: true };
    discord.postMessage({ user: robot, content: 'do stuff', mentionBot: true });
    discord.postMessage({ user: alice, content: 'just chatting' });
    const { message } = discord.postMessage({ user: alice, content: 'hi', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    await footers(discord, threadId);
    // Its own posts came back over the gateway and were not taken as prompts.
    expect((await t.th.stores.log.listSessions()).data).toHaveLength(1);
    expect(t.fake.requests).toHaveLength(1);
  });

  it('says which permissions are missing instead of failing silently', async () => {
    stack = await startDiscordStack({
      fake: { guilds: [{ everyonePermissions: DEFAULT_BOT_PERMISSIONS & ~Perm.CreatePublicThreads }] },
    });
    const { discord, t } = stack;
    discord.postMessage({ user: alice, content: 'hi', mentionBot: true });
    const reply = await until(() => discord.botMessagesIn(discord.channel.id)[0], 5000, 'a reply');
    expect(reply.content).toContain('Create Public Threads');
    expect(discord.threads()).toHaveLength(0);
    expect((await t.th.stores.log.listSessions()).data).toHaveLength(0);
  });
});

describe('Discord errors reach the person', () => {
  it('says why a session could not start (unknown agent)', async () => {
    stack = await startDiscordStack({ config: { agent: 'nope' } });
    const { discord } = stack;
    discord.postMessage({ user: alice, content: 'hi', mentionBot: true });
    const reply = await until(() => discord.botMessagesIn(discord.channel.id)[0], 5000, 'a reply');
    expect(reply.content).toContain('No agent "nope"');
    expect(discord.threads()).toHaveLength(0);
    const { id } = discord.runCommand({ user: alice, name: 'task', options: { prompt: 'x' } });
    const followUp = await until(
      () =>
        discord
          .botMessagesIn(discord.channel.id)
          .find((m) => m.interaction_id === id && m.content.startsWith('Something went wrong')),
      5000,
      'the error follow-up',
    );
    expect(followUp.flags & 64).toBe(64);
  });
});
