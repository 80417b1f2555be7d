import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_STOP } from '../../../src/chat/slack/blocks.js';
import { until } from '../../helpers/threadhand.js';
import {
  ALICE,
  BOB,
  blockingBash,
  CHANNEL,
  gatedBash,
  type SlackHarness,
  startSlackHarness,
} from './harness.js';
import { messageWithAction, sessionOf, threadText, waitEvent } from './util.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const runForever = [
  { content: [{ type: 'tool_use' as const, name: 'bash', input: { command: 'sleep 1000' } }] },
  { content: [{ type: 'text' as const, text: 'Stopped as asked.' }] },
];

async function startBlocked(config = {}) {
  const tool = blockingBash();
  h = await startSlackHarness({ tools: [tool], script: runForever, config });
  const root = await h.say(ALICE, 'run the long job');
  const sessionId = await sessionOf(h, root);
  await until(() => tool.started(), 10_000, 'the tool to start');
  const card = await until(() => messageWithAction(h!, ACTION_STOP), 5000, 'the Stop button');
  return { root, sessionId, card };
}

describe('slack: control from the thread', () => {
  it('a bare "stop" reply interrupts; "stop the deploy" is an ordinary message', async () => {
    const { root, sessionId } = await startBlocked();
    await h!.say(ALICE, 'stop the deploy', { threadTs: root });
    const steer = await waitEvent(
      h!,
      sessionId,
      (e) => e.type === 'user.message' && JSON.stringify(e.content).includes('stop the deploy'),
      'the ordinary message',
    );
    expect(steer).toBeDefined();
    expect((await h!.t.events(sessionId)).some((e) => e.type === 'user.interrupt')).toBe(false);
    await h!.say(ALICE, 'stop', { threadTs: root });
    await waitEvent(h!, sessionId, (e) => e.type === 'user.interrupt', 'the interrupt');
    await h!.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 5000 });
    await until(() => threadText(h!, root).includes('interrupted'), 5000, 'the card to show interrupted');
  });

  it('the Stop button interrupts', async () => {
    const { root, sessionId, card } = await startBlocked();
    expect(await h!.click(ALICE, ACTION_STOP, sessionId, card.ts, root)).toBe(200);
    await waitEvent(h!, sessionId, (e) => e.type === 'user.interrupt', 'the interrupt');
    await h!.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 5000 });
  });

  it('a :octagonal_sign: reaction interrupts within 1 s', async () => {
    const { sessionId, card } = await startBlocked();
    const started = Date.now();
    await h!.react(ALICE, 'octagonal_sign', card.ts);
    const interrupt = await waitEvent(
      h!,
      sessionId,
      (e) => e.type === 'user.interrupt',
      'the interrupt',
      5000,
    );
    const stored = Date.now();
    expect(interrupt).toMatchObject({ author: { user_id: ALICE } });
    const session = await h!.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 5000 });
    expect(session.status).toBe('idle');
    // The front door stores the interrupt within 1 s; the harness then aborts within 1 s.
    expect(stored - started).toBeLessThan(1000);
    expect(Date.now() - stored).toBeLessThan(1000);
  });

  it('someone who is neither the starter nor an approver is refused with an ephemeral message', async () => {
    const { root, sessionId, card } = await startBlocked();
    await h!.click(BOB, ACTION_STOP, sessionId, card.ts, root);
    await h!.say(BOB, 'stop', { threadTs: root });
    await until(() => h!.slack.ephemerals.length >= 2, 5000, 'two refusals');
    expect(h!.slack.ephemerals[0]).toMatchObject({ user: BOB, channel: CHANNEL });
    expect(h!.slack.ephemerals[0]!.text).toContain(`<@${ALICE}>`);
    expect((await h!.t.events(sessionId)).some((e) => e.type === 'user.interrupt')).toBe(false);
    expect((await h!.t.th.stores.log.getSession(sessionId))!.status).toBe('running');
  });

  it('`/threadhand stop` from the starter stops the running session within 1 s', async () => {
    const { root, sessionId } = await startBlocked();
    const started = Date.now();
    const res = await h!.command(ALICE, 'stop');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ response_type: 'ephemeral', text: `Stopping \`${sessionId}\`.` });
    const session = await h!.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 5000 });
    expect(session.status).toBe('idle');
    expect(Date.now() - started).toBeLessThan(1000);
    const interrupt = (await h!.t.events(sessionId)).find((e) => e.type === 'user.interrupt');
    expect(interrupt).toMatchObject({ author: { platform: 'slack', user_id: ALICE } });
    await until(() => threadText(h!, root).includes('interrupted'), 5000, 'the card to show interrupted');
    expect(h!.slack.ephemerals).toEqual([]);
    // Nothing is left to stop.
    expect(JSON.parse((await h!.command(ALICE, 'stop')).body).text).toBe(
      'Nothing is running in this channel.',
    );
  });

  it('`/threadhand stop` from someone who is neither the starter nor an approver is refused, ephemerally and once', async () => {
    const { sessionId } = await startBlocked();
    const res = await h!.command(BOB, 'stop');
    expect(res.status).toBe(200);
    const answer = JSON.parse(res.body) as { response_type: string; text: string };
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain(`Only <@${ALICE}> (who started it) or a configured approver can stop`);
    // The refusal is the command's own ephemeral answer, not repeated as a second one.
    expect(h!.slack.ephemerals).toEqual([]);
    expect((await h!.t.events(sessionId)).some((e) => e.type === 'user.interrupt')).toBe(false);
    expect((await h!.t.th.stores.log.getSession(sessionId))!.status).toBe('running');
  });

  it('a configured approver may stop someone else’s session', async () => {
    const { sessionId, card } = await startBlocked({ approvers: [BOB] });
    await h!.react(BOB, 'octagonal_sign', card.ts);
    await waitEvent(h!, sessionId, (e) => e.type === 'user.interrupt', 'the interrupt');
  });
});

describe('slack: steering', () => {
  it('a message sent while the agent works is acknowledged at once and reaches it as steering; a later reply starts a new turn', async () => {
    const tool = gatedBash();
    h = await startSlackHarness({
      tools: [tool],
      script: [
        {
          content: [
            { type: 'text', text: 'Running the build first.' },
            { type: 'tool_use', name: 'bash', input: { command: 'make' } },
          ],
        },
        { content: [{ type: 'text', text: 'Build passes. Lint is clean too.' }] },
        { content: [{ type: 'text', text: 'You are welcome.' }] },
      ],
    });
    const root = await h.say(ALICE, 'check the build');
    const sessionId = await sessionOf(h, root);
    await until(() => tool.started(), 10_000, 'the tool to start');
    const steerTs = await h.say(ALICE, 'also check lint', { threadTs: root });
    await until(
      () => h!.slack.messages.find((m) => m.ts === steerTs)?.reactions.includes('eyes'),
      3000,
      'the eyes reaction',
    );
    await waitEvent(
      h,
      sessionId,
      (e) => e.type === 'user.message' && JSON.stringify(e.content).includes('also check lint'),
      'the steering event',
    );
    tool.release();
    await until(() => threadText(h!, root).includes('Lint is clean too.'), 10_000, 'the steered answer');
    expect(JSON.stringify(h.t.fake.requests[1]!.body.messages)).toContain('also check lint');
    await h.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 5000 });
    const followTs = await h.say(ALICE, 'thanks', { threadTs: root });
    await until(() => threadText(h!, root).includes('You are welcome.'), 10_000, 'the follow-up answer');
    expect(h.slack.messages.find((m) => m.ts === followTs)!.reactions).toEqual([]);
    const users = (await h.t.events(sessionId)).filter((e) => e.type === 'user.message');
    expect(users).toHaveLength(3);
  });
});
