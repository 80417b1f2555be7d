import { afterEach, describe, expect, it } from 'vitest';
import { type Tool, textResult } from '../../src/tools/types.js';
import { startTestThreadhand, type TestThreadhand, text, until } from '../helpers/threadhand.js';

let t: TestThreadhand | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const echo: Tool = {
  name: 'echo',
  description: 'Echoes.',
  input_schema: { type: 'object', properties: { text: { type: 'string' } } },
  kind: 'test',
  permission: 'always_allow',
  async run(input) {
    return input.text === 'fail' ? textResult('no', true) : textResult(`echo: ${String(input.text)}`);
  },
};

/** Prometheus text -> `name{labels}` -> value (fails on a malformed line). */
function parseMetrics(body: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (-?[0-9.e+-]+|NaN|\+Inf)$/.exec(line);
    if (!match?.[1] || !match[2]) throw new Error(`not Prometheus text: ${line}`);
    values.set(match[1], Number(match[2]));
  }
  return values;
}

async function scrape(th: TestThreadhand): Promise<Map<string, number>> {
  const res = await th.th.app.request('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return parseMetrics(await res.text());
}

describe('/metrics', () => {
  it('parses as Prometheus text and its counters move after a scripted session', async () => {
    t = await startTestThreadhand({
      extraTools: [echo],
      script: [
        {
          content: [
            { type: 'tool_use', name: 'echo', input: { text: 'hi' } },
            { type: 'tool_use', name: 'echo', input: { text: 'fail' } },
          ],
          usage: {
            input_tokens: 1000,
            output_tokens: 50,
            cache_read_input_tokens: 200,
            cache_creation_input_tokens: 30,
          },
          firstTokenDelayMs: 30,
        },
        { content: [{ type: 'text', text: 'All done.' }], usage: { input_tokens: 1100, output_tokens: 20 } },
      ],
      agents: [{ name: 'test', model: 'claude-sonnet-4-5' }],
    });
    const before = await scrape(t);
    expect(before.get('threadhand_turns_total{stop_reason="end_turn"}') ?? 0).toBe(0);

    const session = await t.th.runtime.createSession({ agent: 'test', environment: 'default' });
    await t.th.runtime.send(session.id, [text('go')]);
    await t.th.runtime.waitForIdle(session.id, { timeoutMs: 10_000 });

    const m = await scrape(t);
    expect(m.get('threadhand_sessions{status="idle"}')).toBe(1);
    expect(m.get('threadhand_sessions{status="running"}')).toBe(0);
    expect(m.get('threadhand_turns_total{stop_reason="end_turn"}')).toBe(1);
    expect(m.get('threadhand_tool_calls_total{tool="echo",outcome="ok"}')).toBe(1);
    expect(m.get('threadhand_tool_calls_total{tool="echo",outcome="error"}')).toBe(1);
    expect(m.get('threadhand_model_request_duration_seconds_count{outcome="ok"}')).toBe(2);
    expect(m.get('threadhand_model_time_to_first_token_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(m.get('threadhand_tokens_total{kind="input"}')).toBe(2100);
    expect(m.get('threadhand_tokens_total{kind="output"}')).toBe(70);
    expect(m.get('threadhand_tokens_total{kind="cache_read"}')).toBe(200);
    expect(m.get('threadhand_tokens_total{kind="cache_write"}')).toBe(30);
    // claude-sonnet-4-5 at $3 / $15 / $0.30 / $3.75 per million tokens.
    const usd = (2100 * 3 + 70 * 15 + 200 * 0.3 + 30 * 3.75) / 1e6;
    expect(m.get('threadhand_cost_usd_total')).toBeCloseTo(usd, 9);
    expect(m.get('threadhand_log_append_duration_seconds_count{outcome="ok"}')).toBeGreaterThan(5);
    expect(m.get('threadhand_turn_duration_seconds_count')).toBe(1);
  });

  it('counts chat API calls and 429s by platform', { timeout: 30_000 }, async () => {
    const { startFakeSlack } = await import('../fakes/slack/web-api.js');
    const { startFakeDiscord } = await import('../fakes/discord/index.js');
    const slack = await startFakeSlack();
    const discord = await startFakeDiscord();
    try {
      t = await startTestThreadhand({
        script: [{ content: [{ type: 'text', text: 'Hello from Slack.' }] }],
        env: {
          SLACK_BOT_TOKEN: 'xoxb-test',
          SLACK_SIGNING_SECRET: 's',
          SLACK_API_URL: slack.apiUrl,
          DISCORD_TOKEN: discord.token,
          DISCORD_API_URL: discord.url,
        },
      });
      const { startHttpServer } = await import('../../src/api/http.js');
      const { postSignedSlack } = await import('../fakes/slack/signed.js');
      const { alice, footers, threadOn } = await import('../chat/discord/helpers.js');
      const http = await startHttpServer(t.th.app, { host: '127.0.0.1', port: 0 });
      try {
        // A Slack mention answered; the answer's first post is refused once with a 429.
        slack.rateLimit('chat.postMessage', 1, 0);
        slack.rateLimit('chat.startStream', 1, 0);
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
        await postSignedSlack(`${http.url}/slack/events`, 's', {
          type: 'event_callback',
          team_id: 'T0TEAM',
          event_id: 'EvMetrics',
          event,
        });
        await until(
          () =>
            slack
              .thread('C0MAIN', ts)
              .some((msg) => msg.text.includes('Hello from Slack.') && !msg.streaming),
          15_000,
          'the Slack answer',
        );
        t.fake.setScript([{ content: [{ type: 'text', text: 'Hello from Discord.' }] }]);
        const { message } = discord.postMessage({ user: alice, content: 'hello', mentionBot: true });
        await footers(discord, await threadOn(discord, message.id));
      } finally {
        await http.close();
      }
      const m = await scrape(t);
      expect(m.get('threadhand_chat_api_calls_total{platform="slack"}')).toBeGreaterThan(1);
      expect(m.get('threadhand_chat_api_rate_limited_total{platform="slack"}')).toBeGreaterThanOrEqual(1);
      expect(m.get('threadhand_chat_api_calls_total{platform="discord"}')).toBeGreaterThan(0);
    } finally {
      await t?.close();
      t = undefined;
      await slack.close();
      await discord.close();
    }
  });

  it('is separate per instance (no global registry)', async () => {
    t = await startTestThreadhand({ script: [{ content: [{ type: 'text', text: 'x' }] }] });
    const other = await startTestThreadhand({ script: [] });
    try {
      const s = await t.th.runtime.createSession({ agent: 'test', environment: 'default' });
      await t.th.runtime.send(s.id, [text('go')]);
      await t.th.runtime.waitForIdle(s.id, { timeoutMs: 10_000 });
      expect((await scrape(t)).get('threadhand_turns_total{stop_reason="end_turn"}')).toBe(1);
      expect((await scrape(other)).get('threadhand_turns_total{stop_reason="end_turn"}') ?? 0).toBe(0);
    } finally {
      await other.close();
    }
  });
});
