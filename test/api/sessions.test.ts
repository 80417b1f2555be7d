import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApiHarness, startApi } from './helpers.js';

let h: ApiHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const say = (text: string) => ({ type: 'user.message' as const, content: [{ type: 'text' as const, text }] });
const reply = (text: string, extra: Record<string, unknown> = {}) => ({
  content: [{ type: 'text' as const, text }],
  usage: { input_tokens: 11, output_tokens: 7 },
  ...extra,
});

async function errorOf(promise: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Anthropic.APIError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

describe('sessions', () => {
  it('creates a session that runs on the shared runtime, with usage totals and stats', async () => {
    h = await startApi({ script: [reply('Hello from the fake model.')] });
    const { client } = h;
    const session = await client.beta.sessions.create({
      agent: 'helper',
      environment_id: 'default',
      title: 'greeting',
      metadata: { ticket: 'T-1' },
      initial_events: [say('hi')],
    });
    expect(session).toMatchObject({
      type: 'session',
      title: 'greeting',
      environment_id: 'default',
      metadata: { ticket: 'T-1' },
      vault_ids: [],
    });
    expect(session.agent).toMatchObject({ type: 'agent', id: 'helper', version: 1, system: 'You help.' });

    await h.t.th.runtime.waitForIdle(session.id, { timeoutMs: 10_000 });
    const done = await client.beta.sessions.retrieve(session.id);
    expect(done.status).toBe('idle');
    const events = (await client.beta.sessions.events.list(session.id, { limit: 100 })).data;
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'user.message',
        'agent.message',
        'span.model_request_end',
        'session.status_idle',
      ]),
    );
    const spans = events.filter((e) => e.type === 'span.model_request_end');
    const input = spans.reduce(
      (n, e) => n + (e.type === 'span.model_request_end' ? e.model_usage.input_tokens : 0),
      0,
    );
    expect(input).toBeGreaterThan(0);
    expect(done.usage.input_tokens).toBe(input);
    expect(done.usage.output_tokens).toBe(
      spans.reduce((n, e) => n + (e.type === 'span.model_request_end' ? e.model_usage.output_tokens : 0), 0),
    );
    expect(done.stats.duration_seconds).toBeGreaterThanOrEqual(0);
    expect(done.stats.active_seconds).toBeGreaterThanOrEqual(0);
  });

  it('pins an API agent version, updates, archives, deletes; a chat session is visible too', async () => {
    h = await startApi({ script: [] });
    const { client } = h;
    const agent = await client.beta.agents.create({ name: 'pinned', model: 'claude-test', system: 'v1' });
    await client.beta.agents.update(agent.id, { system: 'v2' });
    const s = await client.beta.sessions.create({
      agent: { type: 'agent', id: agent.id, version: 1 },
      environment_id: 'default',
    });
    expect(s.agent).toMatchObject({ id: agent.id, version: 1, system: 'v1', name: 'pinned' });

    const updated = await client.beta.sessions.update(s.id, { title: 'renamed', metadata: { a: '1' } });
    expect(updated).toMatchObject({ title: 'renamed', metadata: { a: '1' } });
    expect((await client.beta.sessions.update(s.id, { metadata: { a: null } })).metadata).not.toHaveProperty(
      'a',
    );

    const archived = await client.beta.sessions.archive(s.id);
    expect(archived.archived_at).not.toBeNull();
    expect((await client.beta.sessions.list()).data.map((x) => x.id)).not.toContain(s.id);
    expect((await client.beta.sessions.list({ include_archived: true })).data.map((x) => x.id)).toContain(
      s.id,
    );

    expect(await client.beta.sessions.delete(s.id)).toEqual({ id: s.id, type: 'session_deleted' });
    const gone = await errorOf(client.beta.sessions.retrieve(s.id));
    expect(gone.status).toBe(404);
    expect(gone.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });

    // A session made by a chat front door (straight on the runtime) is an API session too.
    const chat = await h.t.th.runtime.createSession({
      agent: 'helper',
      binding: { platform: 'slack', thread: 'T1:C1:1700000000.000100' },
    });
    expect(await client.beta.sessions.retrieve(chat.id)).toMatchObject({
      id: chat.id,
      metadata: { 'threadhand.platform': 'slack' },
    });
  });

  it('binds a session to a Slack thread through metadata', async () => {
    h = await startApi();
    const s = await h.client.beta.sessions.create({
      agent: 'helper',
      environment_id: 'default',
      metadata: { 'threadhand.slack_thread': 'T9:C9:1700000001.000200' },
    });
    expect(
      await h.t.th.runtime.sessionForThread({ platform: 'slack', thread: 'T9:C9:1700000001.000200' }),
    ).toBe(s.id);
    // What the Slack front door reads to render the session into that thread.
    expect(s.metadata).toMatchObject({
      slack_team: 'T9',
      slack_channel: 'C9',
      slack_thread_ts: '1700000001.000200',
    });
    await h.client.beta.sessions.update(s.id, { metadata: { 'threadhand.discord_thread': 'G1:TH1' } });
    expect(await h.t.th.runtime.sessionForThread({ platform: 'discord', thread: 'G1:TH1' })).toBe(s.id);
  });

  it('rejects what it cannot do with a 400 naming the field, and unknown agents with 404', async () => {
    h = await startApi();
    const { client } = h;
    const noVault = await errorOf(
      client.beta.sessions.create({ agent: 'helper', environment_id: 'default', vault_ids: ['vlt_nope'] }),
    );
    expect(noVault.status).toBe(400);
    expect(noVault.message).toMatch(/vault_ids\.0/);
    const badEvent = await errorOf(
      client.beta.sessions.create({
        agent: 'helper',
        environment_id: 'default',
        initial_events: [{ type: 'user.message', content: [] }],
      }),
    );
    expect(badEvent.message).toMatch(/initial_events\.0\.content/);
    const unknown = await errorOf(client.beta.sessions.create({ agent: 'ghost', environment_id: 'default' }));
    expect(unknown.status).toBe(404);
    expect(unknown.message).toMatch(/ghost/);
    const noEnv = await errorOf(client.beta.sessions.create({ agent: 'helper', environment_id: 'env_nope' }));
    expect(noEnv.status).toBe(404);
    expect(noEnv.message).toMatch(/env_nope/);
    const stopped = await client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
    await h.t.th.runtime.terminate(stopped.id);
    const late = await errorOf(
      client.beta.sessions.events.send(stopped.id, { events: [say('still there?')] }),
    );
    expect(late.status).toBe(409);
    expect(late.message).toMatch(/terminated/);
    const overrides = await errorOf(
      client.beta.sessions.create({
        agent: { type: 'agent_with_overrides', id: 'helper' },
        environment_id: 'default',
      }),
    );
    expect(overrides.status).toBe(400);
    expect(overrides.message).toMatch(/not supported/);
  });

  it.each(['sqlite', 'redis'] as const)(
    'pages sessions both ways and filters by status (%s)',
    async (backend) => {
      h = await startApi({ backend });
      const { client } = h;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push(
          (await client.beta.sessions.create({ agent: 'helper', environment_id: 'default', title: `s${i}` }))
            .id,
        );
      await h.t.th.runtime.terminate(ids[0] as string);

      const asc = await client.beta.sessions.list({ limit: 2, order: 'asc' });
      expect(asc.data.map((s) => s.id)).toEqual(ids.slice(0, 2));
      expect(asc.prev_page).toBeNull();
      const second = await asc.getNextPage();
      expect(second.data.map((s) => s.id)).toEqual(ids.slice(2, 4));
      expect(second.prev_page).toBeTruthy();
      const back = await client.beta.sessions.list({ limit: 2, order: 'asc', page: second.prev_page });
      expect(back.data.map((s) => s.id)).toEqual(ids.slice(0, 2));

      const all: string[] = [];
      for await (const s of client.beta.sessions.list({ limit: 2 })) all.push(s.id);
      expect(all).toEqual([...ids].reverse());

      const terminated = await client.beta.sessions.list({ statuses: ['terminated'] });
      expect(terminated.data.map((s) => s.id)).toEqual([ids[0]]);
      expect(
        (await client.beta.sessions.list({ statuses: ['idle', 'running'] })).data.map((s) => s.id),
      ).not.toContain(ids[0]);
    },
  );

  it('a new session has no resources; adding a file that was never uploaded is a 400 saying what to do', async () => {
    h = await startApi();
    const s = await h.client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
    expect((await h.client.beta.sessions.resources.list(s.id)).data).toEqual([]);
    const add = await errorOf(
      h.client.beta.sessions.resources.add(s.id, { type: 'file', file_id: 'file_1' }),
    );
    expect(add.status).toBe(400);
    expect(add.message).toMatch(/file_id: no file file_1; upload it with POST \/v1\/files first/);
    expect((await h.client.beta.sessions.resources.list(s.id)).data).toEqual([]);
    expect(
      (await errorOf(h.client.beta.sessions.resources.retrieve('res_1', { session_id: s.id }))).status,
    ).toBe(404);
  });
});

describe('events', () => {
  it('sends events (400 names the field) and lists them with pagination, order and types', async () => {
    h = await startApi({ script: [reply('one'), reply('two')] });
    const { client } = h;
    const s = await client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });

    const bad = await errorOf(
      client.beta.sessions.events.send(s.id, {
        events: [{ type: 'user.message', content: [{ type: 'text' } as never] }],
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/events\.0\.content\.0\.text/);
    const unsupported = await errorOf(
      client.beta.sessions.events.send(s.id, { events: [{ type: 'user.define_outcome' } as never] }),
    );
    expect(unsupported.message).toMatch(/events\.0.*not supported/);

    const sent = await client.beta.sessions.events.send(s.id, { events: [say('first')] });
    expect(sent.data?.[0]).toMatchObject({
      type: 'user.message',
      content: [{ type: 'text', text: 'first' }],
    });
    await h.t.th.runtime.waitForIdle(s.id, { timeoutMs: 10_000 });
    await client.beta.sessions.events.send(s.id, { events: [say('second')] });
    await h.t.th.runtime.waitForIdle(s.id, { timeoutMs: 10_000 });

    const log = await h.t.events(s.id);
    const paged: string[] = [];
    for await (const e of client.beta.sessions.events.list(s.id, { limit: 3 })) paged.push(e.id);
    expect(paged).toEqual(log.map((e) => e.id));

    const desc = await client.beta.sessions.events.list(s.id, { order: 'desc', limit: 2 });
    expect(desc.data.map((e) => e.id)).toEqual(
      log
        .slice(-2)
        .reverse()
        .map((e) => e.id),
    );

    const messages = await client.beta.sessions.events.list(s.id, {
      types: ['user.message', 'agent.message'],
    });
    expect(messages.data.map((e) => e.type)).toEqual([
      'user.message',
      'agent.message',
      'user.message',
      'agent.message',
    ]);
  });
});

describe('session cost', () => {
  it('prices usage from the price table: usage.list_cost in cents and the exact USD', async () => {
    h = await startApi({
      script: [
        {
          content: [{ type: 'text', text: 'priced' }],
          usage: {
            input_tokens: 1_000_000,
            output_tokens: 100_000,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
          },
        },
      ],
    });
    const agent = await h.client.beta.agents.create({ name: 'priced', model: 'claude-sonnet-4-6' });
    const session = await h.client.beta.sessions.create({
      agent: agent.id,
      environment_id: 'default',
      initial_events: [say('hi')],
    });
    let done = await h.client.beta.sessions.retrieve(session.id);
    for (let i = 0; i < 200 && (done.status !== 'idle' || !done.usage.output_tokens); i++) {
      await new Promise((r) => setTimeout(r, 25));
      done = await h.client.beta.sessions.retrieve(session.id);
    }
    // Sonnet: $3 per million input, $15 per million output -> $3 + $1.50.
    expect(done.usage.list_cost).toEqual({ amount: '450', currency: 'USD' });
    expect((done as unknown as { threadhand: { cost_usd: number } }).threadhand.cost_usd).toBeCloseTo(4.5, 6);
  });
});
