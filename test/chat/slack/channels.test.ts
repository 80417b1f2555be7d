import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_STOP } from '../../../src/chat/slack/blocks.js';
import { until } from '../../helpers/threadhand.js';
import { ALICE, BOB, blockingBash, CHANNEL, type SlackHarness, startSlackHarness } from './harness.js';
import { messageWithAction, sessionOf, threadText, waitEvent } from './util.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const DEPLOY = 'C0DEPLOY';

describe('slack: per-channel configuration', () => {
  it('each channel runs its own agent and environment; a custom interrupt reaction stops, the default one does not', async () => {
    const tool = blockingBash();
    h = await startSlackHarness({
      tools: [tool],
      agents: [
        { name: 'coder', model: 'claude-haiku-4-5' },
        { name: 'deployer', model: 'claude-opus-4-6' },
      ],
      environments: [{ name: 'default' }, { name: 'prod-tools' }],
      config: {
        channels: {
          [CHANNEL]: { agent: 'coder', environment: 'default' },
          [DEPLOY]: { agent: 'deployer', environment: 'prod-tools' },
        },
        approvers: [BOB],
        reactions: { interrupt: 'no_entry' },
      },
      script: [
        { content: [{ type: 'text', text: 'The tests pass.' }] },
        { content: [{ type: 'tool_use', name: 'bash', input: { command: 'deploy --prod' } }] },
        { content: [{ type: 'text', text: 'Deploy stopped.' }] },
      ],
    });

    const general = await h.say(ALICE, 'run the tests');
    const generalId = await sessionOf(h, general);
    await until(() => threadText(h!, general).includes('The tests pass.'), 10_000, 'the coder answer');
    await h.t.th.runtime.waitForIdle(generalId, { timeoutMs: 5000 });

    const deploy = await h.say(ALICE, 'deploy to prod', { channel: DEPLOY });
    const deployId = await sessionOf(h, deploy, DEPLOY);
    await until(() => tool.started(), 10_000, 'the deploy tool to start');

    expect(await h.t.th.stores.log.getSession(generalId)).toMatchObject({
      agent_id: 'coder',
      environment_id: 'default',
    });
    expect(await h.t.th.stores.log.getSession(deployId)).toMatchObject({
      agent_id: 'deployer',
      environment_id: 'prod-tools',
    });
    expect(h.t.fake.requests.map((r) => r.body.model)).toEqual(['claude-haiku-4-5', 'claude-opus-4-6']);

    const card = await until(() => messageWithAction(h!, ACTION_STOP), 5000, 'the Stop button');
    expect(card.channel).toBe(DEPLOY);
    // The default name means nothing once the interrupt reaction is renamed: Bob (an approver,
    // so allowed to stop) reacts with it first; only Alice's :no_entry: interrupts.
    await h.react(BOB, 'octagonal_sign', card.ts, DEPLOY);
    await h.react(ALICE, 'no_entry', card.ts, DEPLOY);
    const interrupt = await waitEvent(h, deployId, (e) => e.type === 'user.interrupt', 'the interrupt');
    expect(interrupt).toMatchObject({ author: { user_id: ALICE } });
    await h.t.th.runtime.waitForIdle(deployId, { timeoutMs: 5000 });
    const interrupts = (await h.t.events(deployId)).filter((e) => e.type === 'user.interrupt');
    expect(interrupts).toHaveLength(1);
    await until(
      () => threadText(h!, deploy, DEPLOY).includes('interrupted'),
      5000,
      'the card to show interrupted',
    );
  });
});
