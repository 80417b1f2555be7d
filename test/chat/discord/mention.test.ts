import { afterEach, describe, expect, it } from 'vitest';
import { type Tool, textResult } from '../../../src/tools/types.js';
import { alice, type DiscordStack, footers, startDiscordStack, threadOn, until } from './helpers.js';

const echo: Tool = {
  name: 'echo',
  description: 'Echoes its input.',
  input_schema: { type: 'object', properties: { text: { type: 'string' } } },
  kind: 'test',
  permission: 'always_allow',
  async run(input, ctx) {
    ctx.onProgress('echoing…');
    // Slow enough that the card is drawn while it runs.
    await new Promise((resolve) => setTimeout(resolve, 400));
    return textResult(`echo: ${String(input.text)}`);
  },
};

let stack: DiscordStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('Discord: a mention opens a thread bound to a session', () => {
  it('streams the answer into a new thread, shows the tool as an embed, and ends with usage', async () => {
    const answer = 'The echo tool said hello back, so everything works as expected here.';
    stack = await startDiscordStack({
      extraTools: [echo],
      script: [
        {
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', name: 'echo', input: { text: 'hello' } },
          ],
          usage: { input_tokens: 1200, output_tokens: 30 },
        },
        {
          content: [{ type: 'text', text: answer }],
          chunkSize: 4,
          chunkDelayMs: 40,
          usage: { input_tokens: 1300, output_tokens: 40 },
        },
      ],
    });
    const { discord } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'please echo hello', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    expect(discord.thread(threadId)?.name).toBe('please echo hello');
    expect(discord.thread(threadId)?.parent_id).toBe(discord.channel.id);

    const [footer] = await footers(discord, threadId);
    const messages = discord.botMessagesIn(threadId);
    const texts = messages.filter((m) => m.embeds.length === 0).map((m) => m.content);
    expect(texts[0]).toBe('Let me check.');
    expect(texts).toContain(answer);
    const card = messages.find((m) => m.embeds.length > 0);
    expect(card?.embeds[0]).toMatchObject({
      title: expect.stringContaining('echo'),
      footer: { text: 'done' },
    });
    expect(String(card?.embeds[0]?.description)).toContain('echo: hello');
    // The card was posted while running (with a Stop button) and updated in place.
    expect(card?.revisions.length).toBeGreaterThan(1);
    expect(JSON.stringify(card?.revisions[0]?.components)).toContain('th:stop:');
    expect(card?.components).toEqual([]);
    // The answer was streamed: its message was edited as the text grew.
    const streamed = messages.find((m) => m.content === answer);
    expect(streamed?.revisions.length).toBeGreaterThan(2);
    expect(streamed?.revisions[0]?.content.length).toBeLessThan(answer.length);
    // Coalesced by the per-thread throttle: fewer edits than the model sent deltas.
    expect(streamed?.revisions.length).toBeLessThan(Math.ceil(answer.length / 4));
    expect(footer?.content).toMatch(/Done · 2,500 in · 70 out/);
    expect(discord.calls.some((c) => c.path === `/channels/${threadId}/typing`)).toBe(true);
    // Order in the thread: text, tool card, answer, footer.
    expect(
      messages.map((m) =>
        m.embeds.length
          ? 'card'
          : m.content === answer
            ? 'answer'
            : m.content.startsWith('-#')
              ? 'footer'
              : 'text',
      ),
    ).toEqual(['text', 'card', 'answer', 'footer']);
  });

  it('ends the turn with the tokens and their cost when the model has a list price', async () => {
    stack = await startDiscordStack({
      // Priced by the shipped table (prefix `claude-sonnet-4`): $3 in and $15 out per million tokens.
      agents: [{ name: 'test', model: 'claude-sonnet-4-6' }],
      script: [
        {
          content: [{ type: 'text', text: 'Priced answer.' }],
          usage: { input_tokens: 100_000, output_tokens: 2000 },
        },
      ],
    });
    const { discord } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'what does it cost', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    const [footer] = await footers(discord, threadId);
    // 100,000 × $3/M + 2,000 × $15/M = $0.30 + $0.03.
    expect(footer?.content).toBe('-# ✅ Done · 100k in · 2,000 out · $0.33');
  });

  it('continues the session when the starter writes in the thread, and works in DMs', async () => {
    stack = await startDiscordStack({
      script: [
        { content: [{ type: 'text', text: 'First answer.' }] },
        { content: [{ type: 'text', text: 'Second answer.' }] },
        { content: [{ type: 'text', text: 'DM answer.' }] },
      ],
    });
    const { discord, t } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'first', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    await footers(discord, threadId, 1);
    discord.postMessage({ user: alice, channelId: threadId, content: 'and now the second part' });
    await footers(discord, threadId, 2);
    expect(discord.botMessagesIn(threadId).map((m) => m.content)).toContain('Second answer.');
    const sessionId = await t.th.runtime.sessionForThread({ platform: 'discord', thread: threadId });
    const events = await t.events(sessionId!);
    expect(events.filter((e) => e.type === 'user.message')).toHaveLength(2);

    const dm = discord.dmChannel(alice);
    discord.postMessage({ user: alice, channelId: dm.id, content: 'hi in private' });
    await until(
      () => discord.botMessagesIn(dm.id).find((m) => m.content === 'DM answer.'),
      10_000,
      'the DM answer',
    );
  });
});
