import { afterEach, describe, expect, it } from 'vitest';
import { type Tool, textResult } from '../../../src/tools/types.js';
import { makeUser } from '../../fakes/discord/index.js';
import { alice, type DiscordStack, footers, mallory, startDiscordStack, threadOn, until } from './helpers.js';

let stack: DiscordStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const helperBot = makeUser('100000000000000003', 'helperbot', true);

const deploy = (runs: string[]): Tool => ({
  name: 'deploy',
  description: 'Deploys.',
  input_schema: { type: 'object', properties: { target: { type: 'string' } } },
  kind: 'test',
  permission: 'always_ask',
  async run(input) {
    runs.push(String(input.target));
    return textResult(`deployed ${String(input.target)}`);
  },
});

const buttonsOf = (components: unknown[]) =>
  components.flatMap(
    (row) => (row as { components?: Array<{ custom_id: string; label: string }> }).components ?? [],
  );

async function approvalCard(s: DiscordStack, threadId: string) {
  return until(
    () =>
      s.discord
        .botMessagesIn(threadId)
        .find((m) => buttonsOf(m.components).some((b) => b.label === 'Approve')),
    10_000,
    'an approval card',
  );
}

async function sessionOf(s: DiscordStack, threadId: string): Promise<string> {
  const id = await s.t.th.runtime.sessionForThread({ platform: 'discord', thread: threadId });
  if (!id) throw new Error(`no session bound to ${threadId}`);
  return id;
}

describe('Discord: messages from bots', () => {
  it('with respondToBots, another bot starts and steers a session; its own messages stay ignored', async () => {
    stack = await startDiscordStack({
      config: { respondToBots: true },
      script: [
        { content: [{ type: 'text', text: 'Hello, fellow bot.' }] },
        { content: [{ type: 'text', text: 'Second answer for the bot.' }] },
      ],
    });
    const { discord, t } = stack;
    const { message } = discord.postMessage({ user: helperBot, content: 'summarise', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    await footers(discord, threadId);
    expect(discord.botMessagesIn(threadId).map((m) => m.content)).toContain('Hello, fellow bot.');

    // The bot's own messages (Discord echoes every one of them over the gateway, and here two
    // more: a self-mention in the channel and a line in the bound thread) start and steer nothing.
    const self = discord.postMessage({ user: discord.bot, content: 'talk to yourself', mentionBot: true });
    discord.postMessage({ user: discord.bot, channelId: threadId, content: 'and keep going' });
    discord.postMessage({ user: helperBot, channelId: threadId, content: 'one more thing' });
    await footers(discord, threadId, 2);
    expect(discord.botMessagesIn(threadId).map((m) => m.content)).toContain('Second answer for the bot.');

    expect(discord.thread(self.message.id)).toBeUndefined();
    expect(discord.threads()).toHaveLength(1);
    const sessions = await t.th.stores.log.listSessions();
    expect(sessions.data).toHaveLength(1);
    const prompts = (await t.events(await sessionOf(stack, threadId))).filter(
      (e) => e.type === 'user.message',
    );
    expect(prompts).toMatchObject([
      { author: { user_id: helperBot.id }, content: [{ text: 'summarise' }] },
      { author: { user_id: helperBot.id }, content: [{ text: 'one more thing' }] },
    ]);
    expect(t.fake.requests).toHaveLength(2);
  });
});

describe('Discord: operators and reactions on approvals', () => {
  it('an operator user who did not start the session may approve its tool call and stop it', async () => {
    const runs: string[] = [];
    stack = await startDiscordStack({
      extraTools: [deploy(runs)],
      config: { operatorUserIds: [mallory.id] },
      script: [
        { content: [{ type: 'tool_use', name: 'deploy', input: { target: 'prod' } }] },
        { content: [{ type: 'text', text: 'Deployed to prod.' }] },
        {
          content: [{ type: 'text', text: 'Now I will talk on and on about the deployment.' }],
          chunkSize: 5,
          chunkDelayMs: 30,
          hang: true,
        },
      ],
    });
    const { discord, t } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'deploy prod', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    const sessionId = await sessionOf(stack, threadId);
    const card = await approvalCard(stack, threadId);
    const approve = buttonsOf(card.components).find((b) => b.label === 'Approve')!;

    const click = discord.clickButton({ user: mallory, messageId: card.id, customId: approve.custom_id });
    await footers(discord, threadId, 2);
    expect(discord.interaction(click.id)?.acknowledged?.type).toBe(6);
    expect(runs).toEqual(['prod']);
    expect((await t.events(sessionId)).filter((e) => e.type === 'user.tool_confirmation')).toMatchObject([
      { result: 'allow', author: { user_id: mallory.id } },
    ]);

    discord.postMessage({ user: alice, channelId: threadId, content: 'tell me more' });
    const streaming = await until(
      () => discord.botMessagesIn(threadId).find((m) => m.content.startsWith('Now I will')),
      10_000,
      'the streaming answer',
    );
    discord.react({ user: mallory, messageId: streaming.id, emoji: '🛑' });
    await footers(discord, threadId, 3);
    expect((await t.events(sessionId)).filter((e) => e.type === 'user.interrupt')).toMatchObject([
      { author: { user_id: mallory.id } },
    ]);
  });

  it('❌ from the starter denies the pending call: the tool never runs and the model is told', async () => {
    const runs: string[] = [];
    stack = await startDiscordStack({
      extraTools: [deploy(runs)],
      script: [
        { content: [{ type: 'tool_use', name: 'deploy', input: { target: 'prod' } }] },
        { content: [{ type: 'text', text: 'Understood, not deploying.' }] },
      ],
    });
    const { discord, t } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'deploy prod', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    const sessionId = await sessionOf(stack, threadId);
    const card = await approvalCard(stack, threadId);
    await footers(discord, threadId, 1);
    const before = discord.calls.length;

    // Someone else's ❌ changes nothing and gets no answer: Discord has no private reply to a
    // reaction, so the bot stays silent (documented in docs/discord.md).
    discord.react({ user: mallory, messageId: card.id, emoji: '❌' });
    discord.react({ user: alice, messageId: card.id, emoji: '❌' });
    await footers(discord, threadId, 2);

    expect(runs).toEqual([]);
    const confirmations = (await t.events(sessionId)).filter((e) => e.type === 'user.tool_confirmation');
    expect(confirmations).toMatchObject([{ result: 'deny', author: { user_id: alice.id } }]);
    expect(discord.world.messages.get(card.id)?.embeds[0]).toMatchObject({ footer: { text: 'denied' } });
    expect(discord.world.messages.get(card.id)?.components).toEqual([]);
    // The model's next request carries the denial as the tool's result.
    const toolUse = (await t.events(sessionId)).find((e) => e.type === 'agent.tool_use')!;
    const results = ((t.fake.requests[1]?.body.messages ?? []) as Array<{ content: unknown }>)
      .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
      .filter((b: { type?: string }) => b.type === 'tool_result');
    expect(results).toHaveLength(1);
    expect(JSON.stringify(results[0])).toContain('Denied in Discord by alice');
    expect(results[0]).toMatchObject({ tool_use_id: toolUse.id, is_error: true });
    expect(discord.botMessagesIn(threadId).map((m) => m.content)).toContain('Understood, not deploying.');
    // Nothing was said to mallory: every call after the reactions belongs to the denied turn.
    const later = discord.calls.slice(before);
    expect(later.every((c) => c.path.startsWith(`/channels/${threadId}/`))).toBe(true);
    expect(later.some((c) => c.method === 'POST' && c.path.includes('/interactions/'))).toBe(false);
  });
});
