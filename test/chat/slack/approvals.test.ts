import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_APPROVE, ACTION_DENY } from '../../../src/chat/slack/blocks.js';
import { until } from '../../helpers/threadhand.js';
import { ALICE, BOB, fakeBash, type SlackHarness, startSlackHarness } from './harness.js';
import { messageWithAction, sessionOf, threadText, waitEvent } from './util.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const CAROL = 'U0CAROL';
const script = [
  { content: [{ type: 'tool_use' as const, name: 'bash', input: { command: 'rm -rf build/' } }] },
  { content: [{ type: 'text' as const, text: 'Cleaned the build directory.' }] },
];

async function startPending(config = {}) {
  const calls: string[] = [];
  h = await startSlackHarness({ tools: [fakeBash('always_ask', calls)], script, config });
  const root = await h.say(ALICE, 'clean the build');
  const sessionId = await sessionOf(h, root);
  const card = await until(() => messageWithAction(h!, ACTION_APPROVE), 10_000, 'the approval card');
  const toolUse = await waitEvent(h, sessionId, (e) => e.type === 'agent.tool_use', 'the tool use');
  return { root, sessionId, card, calls, toolUseId: toolUse.id };
}

describe('slack: approvals', () => {
  it('an always_ask tool posts a card naming the exact command; a ✅ reaction approves that tool call', async () => {
    const { root, sessionId, card, calls, toolUseId } = await startPending();
    expect(h!.slack.visibleText(card)).toContain('rm -rf build/');
    expect(h!.slack.visibleText(card)).toContain('needs approval');
    expect(JSON.stringify(card.blocks)).toContain(`${sessionId}|${toolUseId}`);
    await h!.react(ALICE, 'white_check_mark', card.ts);
    await until(
      () => threadText(h!, root).includes('Cleaned the build directory.'),
      10_000,
      'the answer after approval',
    );
    expect(calls).toEqual(['rm -rf build/']);
    const confirmation = (await h!.t.events(sessionId)).find((e) => e.type === 'user.tool_confirmation');
    expect(confirmation).toMatchObject({
      tool_use_id: toolUseId,
      result: 'allow',
      author: { user_id: ALICE },
    });
    await until(
      () => !JSON.stringify(h!.slack.messages.find((m) => m.ts === card.ts)!.blocks).includes(ACTION_APPROVE),
      5000,
      'the buttons to go',
    );
    // The card is redrawn by the next render pass, which may land just after the answer text.
    await until(
      () => h!.slack.visibleText(h!.slack.messages.find((m) => m.ts === card.ts)!).includes('done'),
      5000,
      'the approved card to show done',
    );
  });

  it('the Approve button approves; a second click does nothing more', async () => {
    const { root, sessionId, card, calls, toolUseId } = await startPending();
    expect(await h!.click(ALICE, ACTION_APPROVE, `${sessionId}|${toolUseId}`, card.ts, root)).toBe(200);
    await h!.click(ALICE, ACTION_APPROVE, `${sessionId}|${toolUseId}`, card.ts, root);
    await until(
      () => threadText(h!, root).includes('Cleaned the build directory.'),
      10_000,
      'the answer after approval',
    );
    expect(calls).toEqual(['rm -rf build/']);
    expect((await h!.t.events(sessionId)).filter((e) => e.type === 'user.tool_confirmation')).toHaveLength(1);
  });

  it('the ❌ reaction denies; the tool never runs', async () => {
    const { sessionId, card, calls } = await startPending();
    await h!.react(ALICE, 'x', card.ts);
    await waitEvent(
      h!,
      sessionId,
      (e) => e.type === 'user.tool_confirmation' && e.result === 'deny',
      'the denial',
    );
    await h!.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 5000 });
    expect(calls).toEqual([]);
    await until(
      () => h!.slack.visibleText(h!.slack.messages.find((m) => m.ts === card.ts)!).includes('denied'),
      5000,
      'the card to say denied',
    );
  });

  it('the Deny button denies', async () => {
    const { root, sessionId, card, calls, toolUseId } = await startPending();
    await h!.click(ALICE, ACTION_DENY, `${sessionId}|${toolUseId}`, card.ts, root);
    await waitEvent(
      h!,
      sessionId,
      (e) => e.type === 'user.tool_confirmation' && e.result === 'deny',
      'the denial',
    );
    await h!.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 5000 });
    expect(calls).toEqual([]);
  });

  it('a non-approver is refused with an ephemeral message, and nothing is confirmed', async () => {
    const { root, sessionId, card, toolUseId } = await startPending();
    await h!.click(BOB, ACTION_APPROVE, `${sessionId}|${toolUseId}`, card.ts, root);
    await h!.react(BOB, 'white_check_mark', card.ts);
    await until(() => h!.slack.ephemerals.length >= 2, 5000, 'the refusals');
    expect(h!.slack.ephemerals.every((e) => e.user === BOB && e.text.includes('approve'))).toBe(true);
    expect((await h!.t.events(sessionId)).some((e) => e.type === 'user.tool_confirmation')).toBe(false);
    expect((await h!.t.th.stores.log.getSession(sessionId))!.stop_reason).toMatchObject({
      type: 'requires_action',
    });
  });

  it('users outside the allowlist are marked untrusted and cannot approve, even as approvers', async () => {
    h = await startSlackHarness({
      tools: [fakeBash('always_ask')],
      script,
      config: { allowlist: [ALICE, BOB], approvers: [CAROL] },
    });
    const root = await h.say(CAROL, 'clean the build');
    const sessionId = await sessionOf(h, root);
    const card = await until(() => messageWithAction(h!, ACTION_APPROVE), 10_000, 'the approval card');
    const first = (await h.t.events(sessionId))[0];
    expect(first).toMatchObject({ type: 'user.message', author: { user_id: CAROL, trusted: false } });
    await h.react(CAROL, 'white_check_mark', card.ts);
    await until(
      () => h!.slack.ephemerals.some((e) => e.user === CAROL && e.text.includes('allowlist')),
      5000,
      'the refusal',
    );
    expect((await h.t.events(sessionId)).some((e) => e.type === 'user.tool_confirmation')).toBe(false);
  });
});
