/**
 * A session created through the HTTP API (the official SDK) with binding metadata is drawn into
 * that Discord thread by the Discord front door at once, like a session started there.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logging.js';
import { createRuntime } from '../../../src/runtime/runtime.js';
import { type Tool, textResult } from '../../../src/tools/types.js';
import { snowflake } from '../../fakes/discord/index.js';
import { alice, type DiscordStack, footers, mallory, startDiscordStack, until } from './helpers.js';

const echo: Tool = {
  name: 'echo',
  description: 'Echoes its input.',
  input_schema: { type: 'object', properties: { text: { type: 'string' } } },
  kind: 'test',
  permission: 'always_allow',
  async run(input) {
    return textResult(`echo: ${String(input.text)}`);
  },
};

const answer = 'The deploy finished: three services updated, no errors in the logs.';
const followUp = 'The canary is healthy too.';
const say = (text: string) => ({ type: 'user.message' as const, content: [{ type: 'text' as const, text }] });

let stack: DiscordStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('Discord: sessions bound to a thread through the API', () => {
  it('draws the API session into the thread at once (no message there first); messages there continue it', async () => {
    stack = await startDiscordStack({
      http: { host: '127.0.0.1', port: 0 },
      extraTools: [echo],
      script: [
        {
          content: [
            { type: 'text', text: 'Checking the deploy.' },
            { type: 'tool_use', name: 'echo', input: { text: 'rollout' } },
          ],
          usage: { input_tokens: 800, output_tokens: 20 },
        },
        {
          content: [{ type: 'text', text: answer }],
          chunkSize: 4,
          chunkDelayMs: 30,
          usage: { input_tokens: 900, output_tokens: 40 },
        },
        { content: [{ type: 'text', text: followUp }], usage: { input_tokens: 1000, output_tokens: 10 } },
      ],
    });
    const { discord, t } = stack;
    // A thread that already exists; the bot was never mentioned in it.
    const thread = discord.world.createThread(discord.channel, 'Deploy 1.4', snowflake());
    const client = new Anthropic({
      baseURL: t.th.http!.url,
      apiKey: 'local',
      maxRetries: 0,
      timeout: 20_000,
    });
    const session = await client.beta.sessions.create({
      agent: 'test',
      environment_id: 'default',
      metadata: {
        'threadhand.discord_thread': `${discord.guild.id}:${thread.id}`,
        'threadhand.user_id': alice.id,
      },
    });
    await client.beta.sessions.events.send(session.id, { events: [say('did the deploy work?')] });

    const [footer] = await footers(discord, thread.id);
    // Only the bot wrote in the thread: text, the tool card, the streamed answer, the footer.
    expect(discord.messagesIn(thread.id).every((m) => m.author.id === discord.bot.id)).toBe(true);
    const messages = discord.botMessagesIn(thread.id);
    const texts = messages.filter((m) => m.embeds.length === 0).map((m) => m.content);
    expect(texts[0]).toBe('Checking the deploy.');
    expect(texts).toContain(answer);
    const card = messages.find((m) => m.embeds.length > 0);
    expect(card?.embeds[0]).toMatchObject({
      title: expect.stringContaining('echo'),
      footer: { text: 'done' },
    });
    const streamed = messages.find((m) => m.content === answer);
    expect(streamed?.revisions.length).toBeGreaterThan(1);
    expect(streamed?.revisions[0]?.content.length).toBeLessThan(answer.length);
    expect(footer?.content).toMatch(/Done · 1,700 in · 60 out/);

    // A plain message in the thread (no mention) continues the same session, drawn there too.
    discord.postMessage({ user: alice, channelId: thread.id, content: 'and the canary?' });
    await footers(discord, thread.id, 2);
    expect(discord.botMessagesIn(thread.id).map((m) => m.content)).toContain(followUp);
    const events = await t.events(session.id);
    expect(events.filter((e) => e.type === 'user.message').at(-1)).toMatchObject({
      author: { platform: 'discord', user_id: alice.id },
    });

    // Control: the user named in the binding may stop it; someone else may not.
    discord.react({ user: mallory, messageId: footer!.id, emoji: '🛑' });
    discord.react({ user: alice, messageId: footer!.id, emoji: '🛑' });
    const interrupts = await until(
      async () => {
        const found = (await t.events(session.id)).filter((e) => e.type === 'user.interrupt');
        return found.length > 0 ? found : undefined;
      },
      10_000,
      "alice's interrupt",
    );
    expect(interrupts.map((e) => (e as { author?: { user_id?: string } }).author?.user_id)).toEqual([
      alice.id,
    ]);
  });

  it('takes a binding announced by another process (shared store)', async () => {
    stack = await startDiscordStack({
      script: [
        { content: [{ type: 'text', text: answer }], usage: { input_tokens: 500, output_tokens: 20 } },
      ],
    });
    const { discord, t } = stack;
    const thread = discord.world.createThread(discord.channel, 'Release notes', snowflake());
    // Another process: its own runtime over the same stores, so no in-process hand-off.
    const other = createRuntime({ stores: t.th.stores, catalog: t.th.catalog, logger: silentLogger() });
    await other.createSession({
      metadata: { 'discord.starter': alice.id },
      binding: { platform: 'discord', thread: `${discord.guild.id}:${thread.id}` },
      announce: true,
      initialEvents: [say('write the release notes')],
      author: { platform: 'api', user_id: 'api' },
    });
    await footers(discord, thread.id);
    expect(discord.botMessagesIn(thread.id).map((m) => m.content)).toContain(answer);
    expect(await t.th.stores.resources.list('chat-binding:discord')).toEqual([]);
  });
});
