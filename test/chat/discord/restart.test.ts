import { afterEach, describe, expect, it } from 'vitest';
import { type Tool, textResult } from '../../../src/tools/types.js';
import { alice, type DiscordStack, footers, startDiscordStack, threadOn, until } from './helpers.js';

let stack: DiscordStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe('Discord rendering across restarts', () => {
  it('a restart mid-answer keeps editing the same message and posts nothing twice', async () => {
    const answer = 'This answer streams slowly so that the front door can restart in the middle of it.';
    stack = await startDiscordStack({
      script: [{ content: [{ type: 'text', text: answer }], chunkSize: 3, chunkDelayMs: 40 }],
    });
    const { discord } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'talk slowly', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    const first = await until(() => discord.botMessagesIn(threadId)[0], 10_000, 'the first words');
    expect(first.content.length).toBeLessThan(answer.length);
    await stack.restart();
    await footers(discord, threadId);
    const messages = discord.botMessagesIn(threadId);
    expect(messages.map((m) => m.id)).toEqual([first.id, expect.any(String)]);
    expect(discord.world.messages.get(first.id)?.content).toBe(answer);

    // Once everything is drawn, another restart redraws nothing.
    const callsBefore = discord.calls.length;
    await stack.restart();
    discord.postMessage({ user: alice, content: 'unrelated chatter' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const writes = discord.calls
      .slice(callsBefore)
      .filter((c) => c.method === 'POST' || c.method === 'PATCH');
    expect(writes.map((w) => `${w.method} ${w.path} ${JSON.stringify(w.body).slice(0, 200)}`)).toEqual([]);
  });

  it('✅ on an approval card approves that exact tool call', async () => {
    const runs: string[] = [];
    const tool: Tool = {
      name: 'deploy',
      description: 'Deploys.',
      input_schema: { type: 'object', properties: { target: { type: 'string' } } },
      kind: 'test',
      permission: 'always_ask',
      async run(input) {
        runs.push(String(input.target));
        return textResult('deployed');
      },
    };
    stack = await startDiscordStack({
      extraTools: [tool],
      script: [
        { content: [{ type: 'tool_use', name: 'deploy', input: { target: 'staging' } }] },
        { content: [{ type: 'text', text: 'Done.' }] },
      ],
    });
    const { discord } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'deploy staging', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    const card = await until(
      () => discord.botMessagesIn(threadId).find((m) => JSON.stringify(m.components).includes('th:approve:')),
      10_000,
      'an approval card',
    );
    // A restart in between: the reaction must still find the tool call the card shows.
    await stack.restart();
    discord.react({ user: alice, messageId: card.id, emoji: '✅' });
    await footers(discord, threadId, 2);
    expect(runs).toEqual(['staging']);
    expect(discord.world.messages.get(card.id)?.embeds[0]).toMatchObject({ footer: { text: 'done' } });
  });
});
