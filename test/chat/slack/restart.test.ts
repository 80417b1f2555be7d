import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/threadhand.js';
import { ALICE, CHANNEL, fakeBash, type SlackHarness, startSlackHarness } from './harness.js';
import { sessionOf, threadText } from './util.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('slack: restart', () => {
  it('a front door restarted mid-answer continues the same message, with no duplicate posts', async () => {
    const answer = Array.from({ length: 40 }, (_, i) => `Line ${i + 1} of the report.`).join('\n');
    h = await startSlackHarness({
      mode: 'socket',
      tools: [fakeBash()],
      script: [
        {
          content: [
            { type: 'text', text: 'Looking.' },
            { type: 'tool_use', name: 'bash', input: { command: 'cat report' } },
          ],
        },
        { content: [{ type: 'text', text: answer }], chunkDelayMs: 15, chunkSize: 8 },
      ],
    });
    const root = await h.say(ALICE, 'summarise the report');
    const sessionId = await sessionOf(h, root);
    await until(() => threadText(h!, root).includes('Line 5 of'), 10_000, 'the answer to be streaming');
    const postsBefore = h.slack.calls.filter(
      (c) => ['chat.postMessage', 'chat.startStream'].includes(c.method) && c.ok,
    ).length;
    expect(h.slack.messages.some((m) => m.streaming)).toBe(true);
    await h.restartService();
    await h.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 15_000 });
    await until(() => threadText(h!, root).includes(' in · '), 10_000, 'the footer');
    await h.service.settled();
    const posts = h.slack.calls.filter(
      (c) => ['chat.postMessage', 'chat.startStream'].includes(c.method) && c.ok,
    );
    // After the restart only the footer could be new: the card and both texts were already posted.
    expect(posts.length - postsBefore).toBeLessThanOrEqual(1);
    const bot = h.slack.thread(CHANNEL, root).filter((m) => m.ts !== root);
    const streamed = bot.filter((m) => m.streamStartedAt !== undefined);
    expect(streamed.map((m) => m.text)).toEqual(['Looking.', answer]);
    expect(streamed.every((m) => !m.streaming)).toBe(true);
    expect(bot.filter((m) => m.text.includes('cat report'))).toHaveLength(1);
    // Redraws after the restart did not touch the finished card or first message.
    expect(threadText(h, root).split('Line 1 of the report.').length).toBe(2);
  });
});
