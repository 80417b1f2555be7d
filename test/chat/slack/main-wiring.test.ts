import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../../src/api/http.js';
import { postSignedSlack } from '../../fakes/slack/signed.js';
import { startFakeSlack } from '../../fakes/slack/web-api.js';
import { startTestThreadhand, type TestThreadhand, until } from '../../helpers/threadhand.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe('slack: wired by createThreadhand from the environment', () => {
  it('SLACK_BOT_TOKEN + SLACK_SIGNING_SECRET + SLACK_API_URL: /slack/events on the shared app answers a mention', async () => {
    const slack = await startFakeSlack();
    cleanup.push(() => slack.close());
    const t: TestThreadhand = await startTestThreadhand({
      script: [{ content: [{ type: 'text', text: 'Hello from Threadhand.' }] }],
      env: {
        SLACK_BOT_TOKEN: 'xoxb-test',
        SLACK_SIGNING_SECRET: 'sekrit',
        SLACK_API_URL: slack.apiUrl,
        SLACK_APPROVERS: 'U0BOSS',
      },
    });
    cleanup.push(() => t.close());
    expect(t.th.services.map((s) => s.name)).toContain('slack');
    const http = await startHttpServer(t.th.app, { host: '127.0.0.1', port: 0 });
    cleanup.push(() => http.close());
    const ready = await fetch(`${http.url}/readyz`);
    expect(ready.status).toBe(200);
    const ts = slack.addUserMessage('C0MAIN', '<@U0BOT> hi');
    const event = {
      type: 'app_mention',
      user: 'U0ALICE',
      text: '<@U0BOT> hi',
      ts,
      channel: 'C0MAIN',
      team: 'T0TEAM',
      event_ts: ts,
    };
    const res = await postSignedSlack(`${http.url}/slack/events`, 'sekrit', {
      type: 'event_callback',
      team_id: 'T0TEAM',
      event_id: 'EvMain',
      event,
    });
    expect(res.status).toBe(200);
    await until(
      () => slack.thread('C0MAIN', ts).some((m) => m.text.includes('Hello from Threadhand.') && !m.streaming),
      10_000,
      'the answer',
    );
  });
});
