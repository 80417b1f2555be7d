import { afterEach, describe, expect, it } from 'vitest';
import { DiscordConfig } from '../../../src/chat/discord/index.js';
import { type Tool, textResult } from '../../../src/tools/types.js';
import type { RecordedCall } from '../../fakes/discord/index.js';
import { alice, type DiscordStack, footers, startDiscordStack, threadOn } from './helpers.js';

let stack: DiscordStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

const lookup: Tool = {
  name: 'lookup',
  description: 'Looks something up.',
  input_schema: { type: 'object', properties: { q: { type: 'string' } } },
  kind: 'test',
  permission: 'always_allow',
  async run(input) {
    return textResult(`found ${String(input.q)}`);
  },
};

/** Discord's message routes: about 5 calls per 5 s in one channel (see `channelIntervalMs`). */
const LIMIT = 5;
const WINDOW_MS = 5000;
// Calls are timed where the fake receives them, a few ms after the bot sent them; the margin
// keeps that jitter from failing the test. Pacing of 250 ms puts 6 calls into ~1.3 s.
const MARGIN_MS = 500;

/** The calls in each channel, by the channel id in their path, in the order they arrived. */
function callsByChannel(calls: RecordedCall[]): Map<string, RecordedCall[]> {
  const byChannel = new Map<string, RecordedCall[]>();
  for (const call of calls) {
    const id = call.path.match(/^\/channels\/(\d+)/)?.[1];
    if (id) byChannel.set(id, [...(byChannel.get(id) ?? []), call]);
  }
  return byChannel;
}

describe('Discord pacing with the default settings', () => {
  it('a burst of tool cards and a streamed answer stay within 5 calls per 5 s in the thread', async () => {
    const defaults = DiscordConfig.parse({});
    const answer = 'Both lookups came back, and here is a longer answer that streams in small pieces.';
    stack = await startDiscordStack({
      extraTools: [lookup],
      config: { throttleMs: defaults.throttleMs, channelIntervalMs: defaults.channelIntervalMs },
      script: [
        {
          content: [
            { type: 'text', text: 'Looking both up.' },
            { type: 'tool_use', name: 'lookup', input: { q: 'one' } },
            { type: 'tool_use', name: 'lookup', input: { q: 'two' } },
          ],
        },
        { content: [{ type: 'text', text: answer }], chunkSize: 3, chunkDelayMs: 30 },
      ],
    });
    const { discord } = stack;
    const { message } = discord.postMessage({ user: alice, content: 'look both up', mentionBot: true });
    const threadId = await threadOn(discord, message.id);
    await footers(discord, threadId, 1, 25_000);
    expect(discord.botMessagesIn(threadId).map((m) => m.content)).toContain(answer);

    const thread = callsByChannel(discord.calls).get(threadId) ?? [];
    // Enough traffic that an unpaced bot would have exceeded the limit.
    expect(thread.length).toBeGreaterThan(LIMIT);
    expect(thread.every((c) => c.status < 400)).toBe(true);
    for (const calls of callsByChannel(discord.calls).values()) {
      for (let i = 0; i + LIMIT < calls.length; i++) {
        const first = calls[i]!;
        const sixth = calls[i + LIMIT]!;
        expect(sixth.at - first.at, `${sixth.method} ${sixth.path}`).toBeGreaterThanOrEqual(
          WINDOW_MS - MARGIN_MS,
        );
      }
    }
  }, 40_000);
});
