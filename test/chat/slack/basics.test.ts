import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/threadhand.js';
import { ALICE, CHANNEL, fakeBash, type SlackHarness, startSlackHarness } from './harness.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const answer = 'The build is green. All 42 tests pass and the linter is happy.';

describe('slack: threads are sessions', () => {
  it('a mention starts a session and streams the answer with a tool card into the thread', async () => {
    const calls: string[] = [];
    h = await startSlackHarness({
      tools: [fakeBash('always_allow', calls)],
      script: [
        {
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', name: 'bash', input: { command: 'npm test' } },
          ],
        },
        {
          content: [{ type: 'text', text: answer }],
          chunkDelayMs: 5,
          usage: { input_tokens: 1200, output_tokens: 80 },
        },
      ],
    });
    const root = await h.say(ALICE, 'is the build green?');
    const slack = h.slack;
    const final = await until(
      () => {
        const msgs = slack.thread(CHANNEL, root);
        const text = msgs.map((m) => slack.visibleText(m)).join('\n');
        return text.includes(answer) && msgs.every((m) => !m.streaming) && text.includes(' in ·')
          ? msgs
          : undefined;
      },
      15_000,
      'the streamed answer',
    ).catch(async (e) => {
      console.log(
        JSON.stringify(
          slack.calls.map((c) => [c.method, c.ok, c.args]),
          null,
          0,
        ),
      );
      console.log(JSON.stringify(slack.messages));
      const sid = await h!.t.th.runtime.sessionForThread({
        platform: 'slack',
        thread: `T0TEAM:${CHANNEL}:${root}`,
      });
      console.log('EVENTS', (await h!.t.events(sid!)).map((e) => e.type).join(' '));
      throw e;
    });
    expect(calls).toEqual(['npm test']);
    const sessionId = await h.t.th.runtime.sessionForThread({
      platform: 'slack',
      thread: `T0TEAM:${CHANNEL}:${root}`,
    });
    expect(sessionId).toBeDefined();
    const starts = slack.callsOf('chat.startStream');
    expect(starts.length).toBeGreaterThanOrEqual(2);
    expect(starts[0]!.args).toMatchObject({
      recipient_team_id: 'T0TEAM',
      recipient_user_id: ALICE,
      thread_ts: root,
    });
    // In order: first text, the tool card (done, exit 0, output), the answer with usage footer.
    const [, first, card, last] = final;
    expect(first!.text).toBe('Let me check.');
    expect(slack.visibleText(card!)).toContain('npm test');
    expect(slack.visibleText(card!)).toContain('done');
    expect(slack.visibleText(card!)).toContain('exit 0');
    expect(last!.text).toBe(answer);
    expect(slack.visibleText(last!)).toMatch(/[\d,]+ in · \d+ out/);
    expect(slack.callsOf('assistant.threads.setStatus')[0]!.args).toMatchObject({
      status: 'is thinking…',
      thread_ts: root,
    });
    // One session, no stray user messages.
    const events = await h.t.events(sessionId!);
    expect(events.filter((e) => e.type === 'user.message')).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'user.message',
      author: { platform: 'slack', user_id: ALICE, trusted: true },
    });
  });
});
