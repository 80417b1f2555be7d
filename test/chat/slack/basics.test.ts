import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/threadhand.js';
import {
  ALICE,
  CHANNEL,
  fakeBash,
  gatedBash,
  type SlackHarness,
  startSlackHarness,
  TEAM,
} from './harness.js';
import { botMessages, sessionOf, threadText, waitEvent } from './util.js';

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

describe('slack: direct messages', () => {
  const DM = 'D0ALICE';

  it('a DM (no mention) starts a session answered in that DM thread; replies there steer and continue it', async () => {
    const tool = gatedBash();
    h = await startSlackHarness({
      tools: [tool],
      script: [
        {
          content: [
            { type: 'text', text: 'Looking at the logs.' },
            { type: 'tool_use', name: 'bash', input: { command: 'tail app.log' } },
          ],
        },
        { content: [{ type: 'text', text: 'Both errors come from the cache.' }], chunkDelayMs: 5 },
        { content: [{ type: 'text', text: 'Cache flushed.' }] },
      ],
    });
    const root = await h.say(ALICE, 'why is the app erroring?', { channel: DM, mention: false });
    const sessionId = await sessionOf(h, root, DM);
    await until(() => threadText(h!, root, DM).includes('Looking at the logs.'), 10_000, 'the first words');
    expect(h.slack.callsOf('chat.startStream')[0]!.args).toMatchObject({ channel: DM, thread_ts: root });
    await until(() => tool.started(), 10_000, 'the tool to start');

    // A reply in the DM thread while the agent works is acknowledged and steers it.
    const steerTs = await h.say(ALICE, 'also the 502s', { channel: DM, threadTs: root, mention: false });
    await until(
      () => h!.slack.messages.find((m) => m.ts === steerTs)?.reactions.includes('eyes'),
      3000,
      'the eyes reaction',
    );
    await waitEvent(
      h,
      sessionId,
      (e) => e.type === 'user.message' && JSON.stringify(e.content).includes('also the 502s'),
      'the steering event',
    );
    tool.release();
    await until(
      () => threadText(h!, root, DM).includes('Both errors come from the cache.'),
      10_000,
      'the steered answer',
    );
    expect(JSON.stringify(h.t.fake.requests[1]!.body.messages)).toContain('also the 502s');
    await h.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 5000 });

    // A later reply continues the same session with a new turn.
    await h.say(ALICE, 'flush it', { channel: DM, threadTs: root, mention: false });
    await until(() => threadText(h!, root, DM).includes('Cache flushed.'), 10_000, 'the follow-up answer');
    const users = (await h.t.events(sessionId)).filter((e) => e.type === 'user.message');
    expect(users.map((e) => JSON.stringify(e.content))).toEqual([
      expect.stringContaining('why is the app erroring?'),
      expect.stringContaining('also the 502s'),
      expect.stringContaining('flush it'),
    ]);
    expect(JSON.stringify(h.t.fake.requests[2]!.body.messages)).toContain('flush it');
    // Everything the bot said went into the DM thread; nothing into a channel, one session.
    expect(h.slack.messages.filter((m) => m.channel !== DM)).toEqual([]);
    expect(botMessages(h, root, DM).every((m) => m.thread_ts === root)).toBe(true);
    expect((await h.t.th.stores.log.listSessions({})).data).toHaveLength(1);
    expect(
      await h.t.th.runtime.sessionForThread({ platform: 'slack', thread: `${TEAM}:${DM}:${root}` }),
    ).toBe(sessionId);
    // The DM thread is linked from the session like a channel thread.
    await until(
      async () =>
        (await h!.t.th.stores.log.getSession(sessionId))?.metadata['threadhand.thread_url'] ===
        `https://threadhand-test.slack.com/archives/${DM}/p${root.replace('.', '')}`,
      5000,
      'the DM thread link',
    );
  });
});

describe('slack: thread link', () => {
  it('the session records its thread’s link, built from the workspace address with no extra Web API call', async () => {
    h = await startSlackHarness({
      script: [
        { content: [{ type: 'text', text: 'Here you go.' }], usage: { input_tokens: 10, output_tokens: 3 } },
      ],
    });
    const root = await h.say(ALICE, 'summarise the incident');
    const sessionId = await sessionOf(h, root);
    await until(() => threadText(h!, root).includes(' in · '), 10_000, 'the answer and its footer');
    const url = `https://threadhand-test.slack.com/archives/${CHANNEL}/p${root.replace('.', '')}`;
    const session = await until(
      async () => {
        const s = await h!.t.th.stores.log.getSession(sessionId);
        return s?.metadata['threadhand.thread_url'] ? s : undefined;
      },
      5000,
      'the thread link',
    );
    expect(session.metadata['threadhand.thread_url']).toBe(url);
    // Slack-specific metadata the renderer reads is kept.
    expect(session.metadata).toMatchObject({
      slack_channel: CHANNEL,
      slack_thread_ts: root,
      slack_user: ALICE,
    });
    expect(h.slack.callsOf('chat.getPermalink')).toHaveLength(0);
  });

  it('without a workspace address it asks chat.getPermalink, and a slow answer does not hold up the reply', async () => {
    h = await startSlackHarness({
      slack: { domain: null },
      script: [
        { content: [{ type: 'text', text: 'Here you go.' }], usage: { input_tokens: 10, output_tokens: 3 } },
      ],
    });
    // A rate-limited permalink call must not hold up the answer in the thread.
    h.slack.rateLimit('chat.getPermalink', 1, 1);
    const root = await h.say(ALICE, 'summarise the incident');
    const sessionId = await sessionOf(h, root);
    await until(() => threadText(h!, root).includes(' in · '), 10_000, 'the answer and its footer');
    const session = await until(
      async () => {
        const s = await h!.t.th.stores.log.getSession(sessionId);
        return s?.metadata['threadhand.thread_url'] ? s : undefined;
      },
      5000,
      'the thread link',
    );
    expect(session.metadata['threadhand.thread_url']).toBe(
      `https://threadhand-test.slack.com/archives/${CHANNEL}/p${root.replace('.', '')}`,
    );
    const permalink = h.slack.callsOf('chat.getPermalink').find((c) => c.ok)!;
    expect(permalink.args).toMatchObject({ channel: CHANNEL, message_ts: root });
    const firstWords = h.slack.callsOf('chat.startStream')[0]!;
    expect(firstWords.at).toBeLessThan(permalink.at);
  });
});
