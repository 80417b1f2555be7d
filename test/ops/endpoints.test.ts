/**
 * Every external endpoint is overridable from the environment: with the override set, the
 * matching fake server sees the traffic of a real Threadhand built by `createThreadhand`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfig, EnvironmentConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/logging.js';
import { createThreadhand } from '../../src/main.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { createBuiltinToolset } from '../../src/tools/builtin/index.js';
import { startFakeAnthropic } from '../fakes/anthropic/server.js';
import { startFakeDiscord } from '../fakes/discord/index.js';
import { startFakeE2B } from '../fakes/e2b/index.js';
import { startFakeSlack } from '../fakes/slack/web-api.js';
import { startTestThreadhand, staticCatalog, TEST_API_KEY, text, until } from '../helpers/threadhand.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe('endpoint overrides', () => {
  it('ANTHROPIC_BASE_URL: the model requests go to the configured server', async () => {
    const fake = await startFakeAnthropic({
      script: [{ content: [{ type: 'text', text: 'via the override' }] }],
      apiKey: TEST_API_KEY,
    });
    cleanup.push(() => fake.close());
    const dir = mkdtempSync(join(tmpdir(), 'threadhand-ops-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const stores = createSqliteStores({ dir });
    cleanup.push(() => stores.close());
    const th = await createThreadhand({
      env: { ANTHROPIC_API_KEY: TEST_API_KEY, ANTHROPIC_BASE_URL: fake.url },
      logger: silentLogger(),
      http: false,
      stores,
      catalog: staticCatalog(
        [AgentConfig.parse({ name: 'test', model: 'claude-test' })],
        [EnvironmentConfig.parse({ name: 'default' })],
      ),
      toolSources: [],
      sandboxProviders: [],
    });
    await th.start();
    cleanup.push(() => th.stop());
    const session = await th.runtime.createSession({ agent: 'test', environment: 'default' });
    await th.runtime.send(session.id, [text('hi')]);
    await th.runtime.waitForIdle(session.id, { timeoutMs: 10_000 });
    expect(fake.requests.length).toBeGreaterThanOrEqual(1);
    const events = await stores.log.read(session.id);
    expect(JSON.stringify(events)).toContain('via the override');
  });

  it('SLACK_API_URL: the Slack front door calls the configured Web API', async () => {
    const slack = await startFakeSlack();
    cleanup.push(() => slack.close());
    const t = await startTestThreadhand({
      env: { SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'sekrit', SLACK_API_URL: slack.apiUrl },
    });
    cleanup.push(() => t.close());
    await until(() => slack.calls.length > 0, 10_000, 'a Slack Web API call');
    expect(slack.calls.map((c) => c.method)).toContain('auth.test');
  });

  it('DISCORD_API_URL: REST and the gateway discovered from it are the configured ones', async () => {
    const discord = await startFakeDiscord();
    cleanup.push(() => discord.close());
    const t = await startTestThreadhand({
      env: { DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.url },
    });
    cleanup.push(() => t.close());
    expect(discord.calls.length).toBeGreaterThan(0);
    expect(discord.identifies.length).toBe(1);
  });

  it('E2B_API_URL and E2B_SANDBOX_URL: sandboxes are created and used on the configured E2B', async () => {
    const e2b = await startFakeE2B();
    cleanup.push(() => e2b.close());
    const t = await startTestThreadhand({
      env: { ...e2b.env },
      sandboxProviders: undefined, // the default providers, built from the environment
      agents: [{ name: 'coder', model: 'claude-test', tools: [{ type: 'agent_toolset_20260401' }] }],
      environments: [{ name: 'cloud', provider: 'e2b' }],
      toolSources: [
        async (ctx) => ({ tools: createBuiltinToolset({ agent: ctx.agent, environment: ctx.environment }) }),
      ],
      script: [
        { content: [{ type: 'tool_use', name: 'bash', input: { command: 'echo from-e2b' } }] },
        { content: [{ type: 'text', text: 'done' }] },
      ],
    });
    cleanup.push(() => t.close());
    const session = await t.th.runtime.createSession({ agent: 'coder', environment: 'cloud' });
    await t.th.runtime.send(session.id, [text('run it')]);
    await t.th.runtime.waitForIdle(session.id, { timeoutMs: 30_000 });
    expect(e2b.creates()).toHaveLength(1);
    expect(e2b.envdCalls().length).toBeGreaterThan(0);
    expect(JSON.stringify(await t.events(session.id))).toContain('from-e2b');
  });
});
