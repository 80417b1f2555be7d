import { afterEach, describe, expect, it } from 'vitest';
import { type FakeDiscord, startFakeDiscord } from '../../fakes/discord/index.js';
import { startTestThreadhand, type TestThreadhand } from '../../helpers/threadhand.js';
import { alice, footers, threadOn } from './helpers.js';

let t: TestThreadhand | undefined;
let discord: FakeDiscord | undefined;
afterEach(async () => {
  await t?.close();
  await discord?.close();
  t = undefined;
  discord = undefined;
});

describe('createThreadhand with DISCORD_TOKEN', () => {
  it('starts the Discord front door, which answers a mention', async () => {
    discord = await startFakeDiscord();
    t = await startTestThreadhand({
      env: { DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.url },
      script: [{ content: [{ type: 'text', text: 'Hello from start.' }] }],
    });
    expect(t.th.services.map((s) => s.name)).toContain('discord');
    const identify = discord.identifies[0];
    // Guilds, GuildMessages, GuildMessageReactions, DirectMessages, DirectMessageReactions, MessageContent.
    expect(identify?.intents).toBe(1 | (1 << 9) | (1 << 10) | (1 << 12) | (1 << 13) | (1 << 15));
    const { message } = discord.postMessage({ user: alice, content: 'hello', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    await footers(discord, threadId);
    expect(discord.botMessagesIn(threadId)[0]?.content).toBe('Hello from start.');
  });
});
