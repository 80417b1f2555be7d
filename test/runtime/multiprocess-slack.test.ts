/**
 * Two front processes behind one Slack app (e.g. two replicas behind a load balancer, or a
 * Slack retry landing on the other one): the same event delivered to both must start one
 * session and post one answer. Delivery dedupe is an atomic claim (`SET NX PX`) on the shared Redis.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStores, deleteRedisPrefix } from '../../src/store/redis/index.js';
import type { Stores } from '../../src/store/types.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { postSignedSlack } from '../fakes/slack/signed.js';
import { type FakeSlack, startFakeSlack } from '../fakes/slack/web-api.js';
import { buildProc, type Proc, startProc } from './procs/build.js';

const REDIS_URL = process.env.THREADHAND_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_KEY = 'sk-ant-test-0000';
const SECRET = 'test-signing-secret';
const TEAM = 'T0TEAM';
const CHANNEL = 'C0GENERAL';
const ANSWER = 'The deploy failed because the migration timed out.';

type Msg = { type: string; pid: number; url?: string };

async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Slack delivery across two front processes', () => {
  let file: string;
  let fake: FakeAnthropic;
  let slack: FakeSlack;
  let stores: Stores;
  const prefix = `th-test:${randomBytes(6).toString('hex')}:`;
  const procs: Array<Proc<Msg>> = [];

  beforeAll(async () => {
    file = await buildProc('threadhand-node');
    fake = await startFakeAnthropic({
      apiKey: API_KEY,
      script: () => ({ content: [{ type: 'text', text: ANSWER }] }),
    });
    slack = await startFakeSlack({ teamId: TEAM });
    stores = await createRedisStores({ url: REDIS_URL, prefix });
  }, 120_000);

  afterAll(async () => {
    for (const proc of procs)
      if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    await stores?.close();
    await fake?.close();
    await slack?.close();
    const admin = new Redis(REDIS_URL);
    await deleteRedisPrefix(admin, prefix);
    admin.disconnect();
  }, 120_000);

  it('the same Slack event delivered to both fronts starts one session and posts one answer', {
    timeout: 180_000,
  }, async () => {
    const env = { REDIS_URL, PREFIX: prefix, MODEL_URL: fake.url, MODEL_KEY: API_KEY };
    const slackEnv = { ...env, ROLE: 'front', SLACK_API_URL: slack.apiUrl, SLACK_SIGNING_SECRET: SECRET };
    const fronts = [startProc<Msg>(file, slackEnv), startProc<Msg>(file, slackEnv)];
    const worker = startProc<Msg>(file, { ...env, ROLE: 'worker' });
    procs.push(...fronts, worker);
    const ready = await Promise.all(
      [...fronts, worker].map((p) => p.waitFor((m) => m.type === 'ready', 90_000)),
    );
    const urls = ready.slice(0, 2).map((m) => `${m.url}/slack/events`);

    const text = `<@U0BOT> why did the deploy fail?`;
    const ts = slack.addUserMessage(CHANNEL, text);
    const base = { user: 'U0ALICE', text, ts, channel: CHANNEL, team: TEAM, event_ts: ts };
    const envelope = (eventId: string, event: Record<string, unknown>) => ({
      token: 'x',
      team_id: TEAM,
      api_app_id: 'A0APP',
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      event,
    });
    // Slack sends both an app_mention and a message event for a mention; each reaches both
    // fronts at once, and Slack's retries (up to 3) land on either.
    const deliveries = [
      envelope('Ev0MENTION', { type: 'app_mention', ...base }),
      envelope('Ev0MESSAGE', { type: 'message', channel_type: 'channel', ...base }),
    ].flatMap((payload) =>
      urls.flatMap((url) =>
        [undefined, 1, 2].map((retryNum) =>
          postSignedSlack(url, SECRET, payload, retryNum === undefined ? {} : { retryNum }),
        ),
      ),
    );
    const statuses = (await Promise.all(deliveries)).map((res) => res.status);
    expect(statuses.every((status) => status === 200)).toBe(true);

    const answered = await until(
      () => slack.thread(CHANNEL, ts).find((m) => m.ts !== ts && slack.visibleText(m).includes(ANSWER)),
      90_000,
      'the answer in the thread',
    );
    expect(answered).toBeDefined();
    await until(
      async () => {
        const { data } = await stores.log.listSessions({ statuses: ['idle'] });
        return data.length > 0 && data.every((s) => s.stop_reason?.type === 'end_turn') ? true : undefined;
      },
      60_000,
      'the session to go idle',
    );
    for (const front of fronts) front.child.send({ cmd: 'settle' });
    await Promise.all(fronts.map((f) => f.waitFor((m) => m.type === 'settled', 60_000)));

    const sessions = await stores.log.listSessions({ includeArchived: true });
    expect(sessions.data).toHaveLength(1);
    const events = await stores.log.read(sessions.data[0]!.id);
    expect(events.filter((e) => e.type === 'user.message')).toHaveLength(1);
    const answers = slack
      .thread(CHANNEL, ts)
      .filter((m) => m.ts !== ts && slack.visibleText(m).includes(ANSWER));
    expect(answers).toHaveLength(1);
    expect(fake.requests).toHaveLength(1);
  });
});
