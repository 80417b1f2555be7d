import { afterEach, describe, expect, it } from 'vitest';
import { type Tool, textResult } from '../../../src/tools/types.js';
import { alice, type DiscordStack, footers, mallory, startDiscordStack, threadOn, until } from './helpers.js';

let stack: DiscordStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

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

describe('Discord buttons: approve and deny the exact tool call', () => {
  it('refuses others privately, then runs the tool when the starter approves', async () => {
    const runs: string[] = [];
    stack = await startDiscordStack({
      extraTools: [deploy(runs)],
      script: [
        { content: [{ type: 'tool_use', name: 'deploy', input: { target: 'prod' } }] },
        { content: [{ type: 'text', text: 'Deployed to prod.' }] },
      ],
    });
    const { discord, t } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'deploy prod', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    const card = await approvalCard(stack, threadId);
    expect(card.embeds[0]).toMatchObject({ footer: { text: 'waiting for approval' } });
    const sessionId = (await t.th.runtime.sessionForThread({ platform: 'discord', thread: threadId }))!;
    const toolUse = (await t.events(sessionId)).find((e) => e.type === 'agent.tool_use')!;
    const approve = buttonsOf(card.components).find((b) => b.label === 'Approve')!;
    expect(approve.custom_id).toBe(`th:approve:${sessionId}:${toolUse.id}`);

    const denied = discord.clickButton({ user: mallory, messageId: card.id, customId: approve.custom_id });
    const refusal = await until(
      () => {
        const id = discord.interaction(denied.id)?.originalMessageId;
        return id ? discord.world.messages.get(id) : undefined;
      },
      5000,
      'the refusal',
    );
    expect(refusal.flags & 64).toBe(64);
    expect(refusal.content).toContain(`Only <@${alice.id}> or an operator`);
    expect(runs).toEqual([]);

    const ok = discord.clickButton({ user: alice, messageId: card.id, customId: approve.custom_id });
    await footers(discord, threadId, 2);
    expect(discord.interaction(ok.id)?.acknowledged?.type).toBe(6);
    expect(runs).toEqual(['prod']);
    const confirmations = (await t.events(sessionId)).filter((e) => e.type === 'user.tool_confirmation');
    expect(confirmations).toMatchObject([
      { tool_use_id: toolUse.id, result: 'allow', author: { user_id: alice.id } },
    ]);
    const updated = discord.world.messages.get(card.id)!;
    expect(updated.embeds[0]).toMatchObject({ footer: { text: 'done' } });
    expect(updated.components).toEqual([]);
    expect(discord.botMessagesIn(threadId).map((m) => m.content)).toContain('Deployed to prod.');
  });

  it('denies with the Deny button and an operator role may decide too', async () => {
    const runs: string[] = [];
    stack = await startDiscordStack({
      extraTools: [deploy(runs)],
      config: { operatorRoleIds: ['900000000000000001'] },
      fake: { guilds: [{ roleIds: ['900000000000000001'] }] },
      script: [
        { content: [{ type: 'tool_use', name: 'deploy', input: { target: 'prod' } }] },
        { content: [{ type: 'text', text: 'Not deployed.' }] },
      ],
    });
    const { discord } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'deploy prod', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    const card = await approvalCard(stack, threadId);
    const deny = buttonsOf(card.components).find((b) => b.label === 'Deny')!;
    discord.clickButton({
      user: mallory,
      roles: ['900000000000000001'],
      messageId: card.id,
      customId: deny.custom_id,
    });
    await footers(discord, threadId, 2);
    expect(runs).toEqual([]);
    expect(discord.world.messages.get(card.id)?.embeds[0]).toMatchObject({ footer: { text: 'denied' } });
  });
});

describe('Discord reactions', () => {
  it('🛑 from the starter interrupts a streaming answer within 1 s; others are ignored', async () => {
    stack = await startDiscordStack({
      script: [
        {
          content: [{ type: 'text', text: 'I will keep talking for a very long time about this.' }],
          chunkSize: 5,
          chunkDelayMs: 30,
          hang: true,
        },
      ],
    });
    const { discord, t } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'talk', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    const streaming = await until(() => discord.botMessagesIn(threadId)[0], 10_000, 'the streaming message');
    const sessionId = (await t.th.runtime.sessionForThread({ platform: 'discord', thread: threadId }))!;

    discord.react({ user: mallory, messageId: streaming.id, emoji: '🛑' });
    discord.react({ user: alice, messageId: streaming.id, emoji: '🛑' });
    const reactedAt = Date.now();
    await until(
      async () => (await t.events(sessionId)).some((e) => e.type === 'session.status_idle'),
      5000,
      'idle',
    );
    expect(Date.now() - reactedAt).toBeLessThan(1000);
    const interrupts = (await t.events(sessionId)).filter((e) => e.type === 'user.interrupt');
    expect(interrupts).toMatchObject([{ author: { user_id: alice.id } }]);
    await footers(discord, threadId);
    // The Stop button went away once the answer was cut off.
    expect(discord.world.messages.get(streaming.id)?.components).toEqual([]);
  });

  it('the Stop button on a streaming answer interrupts it', async () => {
    stack = await startDiscordStack({
      script: [
        {
          content: [{ type: 'text', text: 'Streaming on and on and on without an end in sight.' }],
          chunkSize: 4,
          chunkDelayMs: 30,
          hang: true,
        },
      ],
    });
    const { discord, t } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'stream', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    const streaming = await until(() => discord.botMessagesIn(threadId)[0], 10_000, 'the streaming message');
    const stop = buttonsOf(streaming.components).find((b) => b.label === 'Stop');
    expect(stop).toBeDefined();
    const click = discord.clickButton({ user: alice, messageId: streaming.id, customId: stop!.custom_id });
    const clickedAt = Date.now();
    const sessionId = (await t.th.runtime.sessionForThread({ platform: 'discord', thread: threadId }))!;
    await until(
      async () => (await t.events(sessionId)).some((e) => e.type === 'session.status_idle'),
      5000,
      'idle',
    );
    expect(Date.now() - clickedAt).toBeLessThan(1000);
    expect(discord.interaction(click.id)?.acknowledged?.type).toBe(6);
  });
});
