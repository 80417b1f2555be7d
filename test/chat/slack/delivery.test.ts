import { afterEach, describe, expect, it } from 'vitest';
import { postSignedSlack } from '../../fakes/slack/signed.js';
import { until } from '../../helpers/threadhand.js';
import { ALICE, CHANNEL, SECRET, type SlackHarness, startSlackHarness, TEAM } from './harness.js';
import { sessionOf, threadText } from './util.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const answer = [{ content: [{ type: 'text' as const, text: 'Here is the answer.' }] }];
const mention = (ts: string, text = '<@U0BOT> what is up?') => ({
  type: 'app_mention',
  user: ALICE,
  text,
  ts,
  channel: CHANNEL,
  team: TEAM,
  event_ts: ts,
});

async function sessionCount(): Promise<number> {
  return (await h!.t.th.stores.log.listSessions({ limit: 100 })).data.length;
}

describe('slack: delivery', () => {
  it('HTTP: the same event delivered twice (Slack retry) gives one session and one answer', async () => {
    h = await startSlackHarness({ script: [...answer, ...answer] });
    const ts = h.slack.addUserMessage(CHANNEL, '<@U0BOT> what is up?');
    expect(await h.deliver(mention(ts), { eventId: 'EvSAME' })).toBe(200);
    expect(await h.deliver(mention(ts), { eventId: 'EvSAME', retryNum: 1 })).toBe(200);
    // The message event for the same Slack message (another event id) is also a repeat.
    await h.deliver({ ...mention(ts), type: 'message', channel_type: 'channel' }, { eventId: 'EvOTHER' });
    const sessionId = await sessionOf(h, ts);
    await h.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 10_000 });
    await until(() => threadText(h!, ts).includes('Here is the answer.'), 5000, 'the answer');
    await h.service.settled();
    expect(await sessionCount()).toBe(1);
    expect(h.slack.callsOf('chat.startStream')).toHaveLength(1);
    expect(h.t.fake.requests).toHaveLength(1);
  });

  it('HTTP: a forged or stale signature is rejected and nothing is stored', async () => {
    h = await startSlackHarness({ script: answer });
    const ts = h.slack.addUserMessage(CHANNEL, '<@U0BOT> hi');
    const url = `${h.http!.url}/slack/events`;
    const payload = { type: 'event_callback', team_id: TEAM, event_id: 'EvX', event: mention(ts) };
    const forged = await postSignedSlack(url, SECRET, payload, { secret: 'not-the-secret' });
    const stale = await postSignedSlack(url, SECRET, payload, {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    const unsigned = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect([forged.status, stale.status, unsigned.status]).toEqual([401, 401, 401]);
    expect(await sessionCount()).toBe(0);
    expect(h.slack.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
    // The URL check Slack does when the Request URL is saved.
    const challenge = await postSignedSlack(url, SECRET, { type: 'url_verification', challenge: 'abc' });
    expect(await challenge.json()).toEqual({ challenge: 'abc' });
  });

  it('HTTP: events are acknowledged at once, before the work is done', async () => {
    h = await startSlackHarness({ script: [{ ...answer[0]!, delayMs: 2000 }] });
    const ts = h.slack.addUserMessage(CHANNEL, '<@U0BOT> slow one');
    const started = Date.now();
    expect(await h.deliver(mention(ts, '<@U0BOT> slow one'))).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    await until(() => threadText(h!, ts).includes('Here is the answer.'), 10_000, 'the answer');
  });

  it('Socket Mode: a mention starts a session; a redelivered envelope is ignored; envelopes are acked', async () => {
    h = await startSlackHarness({ script: [...answer, ...answer], mode: 'socket' });
    const ts = h.slack.addUserMessage(CHANNEL, '<@U0BOT> what is up?');
    await h.deliver(mention(ts), { eventId: 'EvSOCK' });
    await h.deliver(mention(ts), { eventId: 'EvSOCK', retryNum: 1 });
    const sessionId = await sessionOf(h, ts);
    await h.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 10_000 });
    await until(() => threadText(h!, ts).includes('Here is the answer.'), 5000, 'the answer');
    expect(await sessionCount()).toBe(1);
    expect(h.socket!.acks.length).toBeGreaterThanOrEqual(2);
  });

  it('the bot ignores its own messages', async () => {
    h = await startSlackHarness({ script: answer });
    const ts = h.slack.addUserMessage(CHANNEL, 'hello');
    await h.deliver({
      type: 'message',
      channel_type: 'im',
      channel: 'D0DM',
      user: 'U0BOT',
      text: 'echo',
      ts,
      team: TEAM,
    });
    await h.deliver({
      type: 'message',
      channel_type: 'im',
      channel: 'D0DM',
      bot_id: 'B0BOT',
      text: 'echo',
      ts: `${ts}1`,
      team: TEAM,
    });
    await h.say(ALICE, 'hi there', { channel: 'D0DM', mention: false });
    await until(async () => (await sessionCount()) === 1, 5000, 'the DM session');
    expect(await sessionCount()).toBe(1);
  });

  it('slash command: /threadhand <task> posts a root message and runs in its thread; status and list answer', async () => {
    h = await startSlackHarness({ script: [{ content: [{ type: 'text', text: 'Deployed to staging.' }] }] });
    const res = await h.command(ALICE, 'deploy to staging');
    expect(res.status).toBe(200);
    expect(res.body).toContain('Starting');
    const root = await until(
      () => h!.slack.messages.find((m) => m.text.includes('asked: deploy to staging')),
      5000,
      'the root message',
    );
    expect(root.text).toContain(`<@${ALICE}>`);
    await until(
      () => threadText(h!, root.ts).includes('Deployed to staging.'),
      10_000,
      'the answer in the thread',
    );
    const sessionId = await sessionOf(h, root.ts);
    await h.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 5000 });
    const status = await h.command(ALICE, 'status');
    expect(status.body).toContain(sessionId);
    expect(status.body).toContain('idle');
    expect((await h.command(ALICE, 'list')).body).toContain('deploy to staging');
    expect((await h.command(ALICE, 'stop')).body).toContain('Nothing is running');
  });
});
