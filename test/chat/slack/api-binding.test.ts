/**
 * A session created through the HTTP API (the official SDK) with binding metadata is drawn into
 * that Slack thread by the Slack front door at once, like a session started there.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/logging.js';
import { createRuntime } from '../../../src/runtime/runtime.js';
import { until } from '../../helpers/threadhand.js';
import { ALICE, BOB, CHANNEL, fakeBash, type SlackHarness, startSlackHarness, TEAM } from './harness.js';
import { waitEvent } from './util.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const answer = 'The deploy finished: three services updated, no errors in the logs.';
const followUp = 'The canary is healthy too.';

const say = (text: string) => ({ type: 'user.message' as const, content: [{ type: 'text' as const, text }] });

/** Waits until the thread shows `text` with a usage footer and nothing is still streaming. */
async function threadWith(harness: SlackHarness, root: string, text: string, footers = 1) {
  const slack = harness.slack;
  return until(
    () => {
      const msgs = slack.thread(CHANNEL, root);
      const all = msgs.map((m) => slack.visibleText(m)).join('\n');
      const footerCount = msgs.filter((m) => / in · \d+ out/.test(slack.visibleText(m))).length;
      return all.includes(text) && footerCount >= footers && msgs.every((m) => !m.streaming)
        ? msgs
        : undefined;
    },
    15_000,
    `"${text}" with a footer in the thread`,
  );
}

describe('slack: sessions bound to a thread through the API', () => {
  it('draws the API session into the thread at once (no reply there first); replies there continue it', async () => {
    const calls: string[] = [];
    h = await startSlackHarness({
      tools: [fakeBash('always_allow', calls)],
      script: [
        {
          content: [
            { type: 'text', text: 'Checking the deploy.' },
            { type: 'tool_use', name: 'bash', input: { command: 'kubectl rollout status' } },
          ],
        },
        {
          content: [{ type: 'text', text: answer }],
          chunkSize: 6,
          chunkDelayMs: 5,
          usage: { input_tokens: 900, output_tokens: 40 },
        },
        { content: [{ type: 'text', text: followUp }], usage: { input_tokens: 1000, output_tokens: 10 } },
      ],
    });
    // A thread that already exists in Slack: someone's message the bot was never told about.
    const root = h.slack.addUserMessage(CHANNEL, 'Deploy thread for release 1.4');
    const client = new Anthropic({ baseURL: h.http!.url, apiKey: 'local', maxRetries: 0, timeout: 20_000 });
    const session = await client.beta.sessions.create({
      agent: 'test',
      environment_id: 'default',
      metadata: { 'threadhand.slack_thread': `${TEAM}:${CHANNEL}:${root}`, 'threadhand.user_id': ALICE },
    });
    await client.beta.sessions.events.send(session.id, { events: [say('did the deploy work?')] });

    const msgs = await threadWith(h, root, answer);
    expect(calls).toEqual(['kubectl rollout status']);
    // Streamed into that thread, to the user named in the binding.
    expect(h.slack.callsOf('chat.startStream')[0]?.args).toMatchObject({
      thread_ts: root,
      recipient_team_id: TEAM,
      recipient_user_id: ALICE,
    });
    // Nobody replied in the thread: the root, then only what the bot drew (text, card, answer + footer).
    const [first, ...drawn] = msgs;
    expect(first?.ts).toBe(root);
    expect(drawn.map((m) => h!.slack.visibleText(m).split('\n')[0])).toEqual([
      'Checking the deploy.',
      expect.stringContaining('kubectl rollout status'),
      answer,
    ]);
    const card = h.slack.visibleText(drawn[1]!);
    expect(card).toContain('done');
    expect(h.slack.visibleText(drawn[2]!)).toMatch(/[\d,]+ in · \d+ out/);

    // A reply in the thread continues the same session (and is drawn there too).
    await h.say(ALICE, 'and the canary?', { threadTs: root });
    await threadWith(h, root, followUp, 2);
    const reply = await waitEvent(
      h,
      session.id,
      (e) => e.type === 'user.message' && JSON.stringify(e).includes('and the canary?'),
      'the reply in the session',
    );
    expect(reply).toMatchObject({ author: { platform: 'slack', user_id: ALICE } });

    // Control: someone else may not stop it; the bound user may.
    await h.say(BOB, 'stop', { threadTs: root });
    const refusal = await until(() => h!.slack.callsOf('chat.postEphemeral').at(-1), 5000, 'a refusal');
    expect(refusal.args).toMatchObject({ user: BOB, text: expect.stringContaining(`<@${ALICE}>`) });
    const interrupts = async () =>
      (await h!.t.events(session.id)).filter((e) => e.type === 'user.interrupt').length;
    expect(await interrupts()).toBe(0);
    await h.say(ALICE, 'stop', { threadTs: root });
    await until(async () => (await interrupts()) === 1, 5000, "ALICE's interrupt");
  });

  it('takes a binding announced by another process (shared store) without any reply in the thread', async () => {
    h = await startSlackHarness({
      script: [
        { content: [{ type: 'text', text: answer }], usage: { input_tokens: 500, output_tokens: 20 } },
      ],
    });
    const root = h.slack.addUserMessage(CHANNEL, 'Release notes thread');
    // Another process: its own runtime over the same stores, so no in-process hand-off.
    const other = createRuntime({ stores: h.t.th.stores, catalog: h.t.th.catalog, logger: silentLogger() });
    const session = await other.createSession({
      agent: 'test',
      metadata: {
        slack_team: TEAM,
        slack_channel: CHANNEL,
        slack_thread_ts: root,
        slack_user: ALICE,
      },
      binding: { platform: 'slack', thread: `${TEAM}:${CHANNEL}:${root}` },
      announce: true,
      initialEvents: [say('write the release notes')],
      author: { platform: 'api', user_id: 'api' },
    });
    await threadWith(h, root, answer);
    expect(h.slack.thread(CHANNEL, root).filter((m) => m.ts !== root)).toHaveLength(1);
    // Taken once: the announcement is gone from the shared store.
    expect(await h.t.th.stores.resources.list('chat-binding:slack')).toEqual([]);
    expect(
      await h.t.th.runtime.sessionForThread({ platform: 'slack', thread: `${TEAM}:${CHANNEL}:${root}` }),
    ).toBe(session.id);
  });
});
