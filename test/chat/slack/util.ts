import type { SessionEvent } from '../../../src/events/schema.js';
import type { FakeMessage } from '../../fakes/slack/web-api.js';
import { until } from '../../helpers/threadhand.js';
import { CHANNEL, type SlackHarness, TEAM } from './harness.js';

export async function sessionOf(h: SlackHarness, root: string, channel = CHANNEL): Promise<string> {
  return until(
    () => h.t.th.runtime.sessionForThread({ platform: 'slack', thread: `${TEAM}:${channel}:${root}` }),
    5000,
    'the session of the thread',
  );
}

export async function waitEvent(
  h: SlackHarness,
  sessionId: string,
  match: (e: SessionEvent) => boolean,
  what: string,
  timeoutMs = 10_000,
) {
  return until(async () => (await h.t.events(sessionId)).find(match), timeoutMs, what);
}

/** Bot messages in the thread (not the root, not people's messages). */
export function botMessages(h: SlackHarness, root: string, channel = CHANNEL): FakeMessage[] {
  return h.slack
    .thread(channel, root)
    .filter(
      (m) =>
        m.ts !== root &&
        (m.streamStartedAt !== undefined ||
          h.slack.calls.some((c) => c.method === 'chat.postMessage' && c.ok && m.thread_ts === root)) &&
        !m.text.startsWith('<@U0BOT>'),
    );
}

/** A message whose blocks carry the given action id. */
export function messageWithAction(h: SlackHarness, actionId: string): FakeMessage | undefined {
  return h.slack.messages.find((m) => JSON.stringify(m.blocks).includes(`"action_id":"${actionId}"`));
}

export function threadText(h: SlackHarness, root: string, channel = CHANNEL): string {
  return h.slack
    .thread(channel, root)
    .map((m) => h.slack.visibleText(m))
    .join('\n');
}
