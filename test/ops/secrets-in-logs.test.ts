/**
 * A full scenario at trace level — API calls with a key, a vault credential with a secret
 * value, a Slack front door with its token and signing secret, the model behind its key —
 * with every pino line captured: none of the secrets appears in the log output.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/api/http.js';
import { createLogger } from '../../src/logging.js';
import { postSignedSlack } from '../fakes/slack/signed.js';
import { startFakeSlack } from '../fakes/slack/web-api.js';
import { startTestThreadhand, TEST_API_KEY, until } from '../helpers/threadhand.js';

const SECRETS = {
  apiKey: 'th-api-KEY-7f3a9c1e',
  slackBot: 'xoxb-SLACK-BOT-5e2d8b',
  slackSigning: 'slack-SIGNING-9a4c7e',
  vaultValue: 'ghp_VAULTSECRET_3b8f1d',
  vaultBearer: 'tok_VAULTBEARER_6c2e9a',
  secretKey: `${'k'.repeat(16)}SECRETKEY-0123456789abcdef`,
  anthropic: TEST_API_KEY,
};

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe('secrets never reach the logs', () => {
  it('a scenario with API key, vault secret, Slack tokens and the model key logs none of them', {
    timeout: 60_000,
  }, async () => {
    let output = '';
    const logger = createLogger({
      level: 'trace',
      destination: {
        write: (line: string) => {
          output += line;
        },
      },
    });
    const slack = await startFakeSlack();
    cleanup.push(() => slack.close());
    const t = await startTestThreadhand({
      logger,
      script: [
        { content: [{ type: 'text', text: 'Hello from the API.' }] },
        { content: [{ type: 'text', text: 'Hello from Slack.' }] },
      ],
      env: {
        THREADHAND_API_KEYS: SECRETS.apiKey,
        THREADHAND_SECRET_KEY: SECRETS.secretKey,
        SLACK_BOT_TOKEN: SECRETS.slackBot,
        SLACK_SIGNING_SECRET: SECRETS.slackSigning,
        SLACK_API_URL: slack.apiUrl,
      },
    });
    cleanup.push(() => t.close());
    const http = await startHttpServer(t.th.app, {
      host: '127.0.0.1',
      port: 0,
      apiKeys: [SECRETS.apiKey],
      logger,
    });
    cleanup.push(() => http.close());

    const client = new Anthropic({ apiKey: SECRETS.apiKey, baseURL: http.url, maxRetries: 0 });
    const vault = await client.beta.vaults.create({ display_name: 'GitHub' });
    await client.beta.vaults.credentials.create(vault.id, {
      display_name: 'token',
      auth: {
        type: 'environment_variable',
        secret_name: 'GITHUB_TOKEN',
        secret_value: SECRETS.vaultValue,
        networking: { type: 'limited', allowed_hosts: ['api.github.com'] },
      },
    });
    await client.beta.vaults.credentials.create(vault.id, {
      auth: {
        type: 'static_bearer',
        token: SECRETS.vaultBearer,
        mcp_server_url: 'https://mcp.example.com/mcp',
      },
    });
    // A wrong key is refused (and logged as such, without the key).
    const wrong = await fetch(`${http.url}/v1/agents`, { headers: { 'x-api-key': 'th-wrong-key' } });
    expect(wrong.status).toBe(401);

    const session = await t.th.runtime.createSession({
      agent: 'test',
      environment: 'default',
      vault_ids: [vault.id],
    });
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'hi' }] }],
    });
    await t.th.runtime.waitForIdle(session.id, { timeoutMs: 10_000 });

    const ts = slack.addUserMessage('C0MAIN', '<@U0BOT> hello');
    const res = await postSignedSlack(`${http.url}/slack/events`, SECRETS.slackSigning, {
      type: 'event_callback',
      team_id: 'T0TEAM',
      event_id: 'EvSecrets',
      event: {
        type: 'app_mention',
        user: 'U0ALICE',
        text: '<@U0BOT> hello',
        ts,
        channel: 'C0MAIN',
        team: 'T0TEAM',
        event_ts: ts,
      },
    });
    expect(res.status).toBe(200);
    await until(
      () => slack.thread('C0MAIN', ts).some((m) => m.text.includes('Hello from Slack.') && !m.streaming),
      15_000,
      'the Slack answer',
    );

    // The redaction is live on this logger (the fields vendor errors and settings use).
    logger.warn(
      {
        botToken: SECRETS.slackBot,
        err: { config: { headers: { Authorization: `Bearer ${SECRETS.slackBot}` } } },
        headers: { 'x-api-key': SECRETS.apiKey },
      },
      'redaction self-check',
    );
    expect(output).toContain('redaction self-check');
    expect(output.split('\n').length).toBeGreaterThan(10);
    for (const [name, secret] of Object.entries(SECRETS)) {
      expect(output.includes(secret), `${name} appears in the logs`).toBe(false);
    }
    // Lines about a session carry its id as a field.
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const mentioning = lines.filter((l) => JSON.stringify(l).includes(session.id));
    expect(mentioning.length).toBeGreaterThan(0);
    for (const line of mentioning)
      expect(line.sessionId ?? line.session_id, JSON.stringify(line)).toBeDefined();
  });
});
