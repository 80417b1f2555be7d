/**
 * List filters through the SDK: `sessions.list` by agent, agent version and creation time;
 * `created_at[...]` on `events.list` and `agents.list`; each across several pages.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/threadhand.js';
import { type ApiHarness, startApi } from './helpers.js';

let h: ApiHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const say = (text: string) => ({ type: 'user.message' as const, content: [{ type: 'text' as const, text }] });

/** Every item, walking the SDK's auto-pagination. */
async function all<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) items.push(item);
  return items;
}

/** Waits until the clock is past `iso`, so the next item gets a later timestamp. */
const clockPast = (iso: string) => until(() => Date.now() > Date.parse(iso), 2_000, 'the clock to move');

/** The whole second `iso` falls in, written without fractional seconds (`...:05Z`). */
const wholeSecond = (iso: string) => `${new Date(iso).toISOString().slice(0, 19)}Z`;

/** The same instant written in UTC+02:00. */
function inPlusTwo(iso: string): string {
  const shifted = new Date(Date.parse(iso) + 2 * 3600_000).toISOString();
  return `${shifted.slice(0, 23)}+02:00`;
}

describe('list filters', () => {
  it('sessions.list filters by agent_id, agent_version and created_at, across pages', async () => {
    h = await startApi();
    const { client } = h;
    const agent = await client.beta.agents.create({ name: 'filtered', model: 'claude-test', system: 'v1' });
    const s1 = await client.beta.sessions.create({ agent: agent.id, environment_id: 'default' });
    const v2 = await client.beta.agents.update(agent.id, { version: agent.version, system: 'v2' });
    expect(v2.version).toBe(2);
    await clockPast(s1.created_at);
    const s2 = await client.beta.sessions.create({ agent: agent.id, environment_id: 'default' });
    await clockPast(s2.created_at);
    const s3 = await client.beta.sessions.create({
      agent: { type: 'agent', id: agent.id, version: 1 },
      environment_id: 'default',
    });
    await clockPast(s3.created_at);
    const s4 = await client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
    expect([s1.agent.version, s2.agent.version, s3.agent.version]).toEqual([1, 2, 1]);

    const ids = async (params: Anthropic.Beta.SessionListParams) =>
      (await all(client.beta.sessions.list({ limit: 1, ...params }))).map((s) => s.id);

    expect(await ids({ agent_id: agent.id })).toEqual([s3.id, s2.id, s1.id]);
    expect(await ids({ agent_id: agent.id, order: 'asc' })).toEqual([s1.id, s2.id, s3.id]);
    expect(await ids({ agent_id: agent.id, agent_version: 1 })).toEqual([s3.id, s1.id]);
    expect(await ids({ agent_id: agent.id, agent_version: 2 })).toEqual([s2.id]);
    expect(await ids({ agent_id: 'helper' })).toEqual([s4.id]);
    expect(await ids({ agent_id: 'agent_nope' })).toEqual([]);
    // agent_version only narrows an agent_id filter.
    expect(await ids({ agent_version: 2 })).toEqual([s4.id, s3.id, s2.id, s1.id]);
    const unsupported = await client.beta.sessions
      .list({ memory_store_id: 'memstore_1' })
      .catch((e: unknown) => e);
    expect(unsupported).toBeInstanceOf(Anthropic.BadRequestError);
    expect((unsupported as Error).message).toContain('memory_store_id');

    expect(await ids({ 'created_at[gte]': s2.created_at, order: 'asc' })).toEqual([s2.id, s3.id, s4.id]);
    expect(await ids({ 'created_at[gt]': s2.created_at, order: 'asc' })).toEqual([s3.id, s4.id]);
    expect(await ids({ 'created_at[lte]': s2.created_at, order: 'asc' })).toEqual([s1.id, s2.id]);
    expect(await ids({ 'created_at[lt]': s2.created_at, order: 'asc' })).toEqual([s1.id]);
    expect(
      await ids({
        'created_at[gte]': s2.created_at,
        'created_at[lte]': s3.created_at,
        agent_id: agent.id,
        order: 'asc',
      }),
    ).toEqual([s2.id, s3.id]);
    // The same instant with a UTC offset means the same thing.
    expect(await ids({ 'created_at[gte]': inPlusTwo(s2.created_at), order: 'asc' })).toEqual([
      s2.id,
      s3.id,
      s4.id,
    ]);

    // Pages carry the filter: the first page of one links to the rest of the filtered list only.
    const first = await client.beta.sessions.list({ agent_id: agent.id, agent_version: 1, limit: 1 });
    expect(first.data.map((s) => s.id)).toEqual([s3.id]);
    expect(first.hasNextPage()).toBe(true);
    const second = await first.getNextPage();
    expect(second.data.map((s) => s.id)).toEqual([s1.id]);
    expect(second.hasNextPage()).toBe(false);

    const bad = await client.beta.sessions.list({ 'created_at[gte]': 'yesterday' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as Error).message).toContain('created_at[gte]');
  });

  it('a created_at bound without fractional seconds compares by time, not by text', async () => {
    h = await startApi({ script: [{ content: [{ type: 'text', text: 'hi' }] }] });
    const { client } = h;
    const s = await client.beta.sessions.create({
      agent: 'helper',
      environment_id: 'default',
      initial_events: [say('hello')],
    });
    const second = wholeSecond(s.created_at);
    // `s` was created at or after the start of its second, and not before it.
    const ids = async (params: Anthropic.Beta.SessionListParams) =>
      (await all(client.beta.sessions.list(params))).map((x) => x.id);
    expect(await ids({ 'created_at[gte]': second })).toEqual([s.id]);
    expect(await ids({ 'created_at[lt]': second })).toEqual([]);

    const agent = await client.beta.agents.create({ name: 'timed', model: 'claude-test' });
    const agentIds = async (params: Anthropic.Beta.AgentListParams) =>
      (await all(client.beta.agents.list(params))).map((a) => a.id);
    expect(await agentIds({ 'created_at[gte]': wholeSecond(agent.created_at) })).toEqual([agent.id]);

    const events = (await client.beta.sessions.events.list(s.id)).data;
    expect(events.length).toBeGreaterThan(0);
    const firstAt = events[0]?.processed_at as string;
    const listed = await all(
      client.beta.sessions.events.list(s.id, { 'created_at[lt]': wholeSecond(firstAt) }),
    );
    expect(listed).toEqual([]);
  });

  it('events.list filters by created_at (processed_at), in either order, across pages', async () => {
    h = await startApi({
      script: [{ content: [{ type: 'text', text: 'one' }] }, { content: [{ type: 'text', text: 'two' }] }],
    });
    const { client } = h;
    const s = await client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
    await client.beta.sessions.events.send(s.id, { events: [say('first')] });
    await until(async () => (await client.beta.sessions.retrieve(s.id)).status === 'idle', 5_000, 'idle');
    const firstRun = await all(client.beta.sessions.events.list(s.id, { limit: 100 }));
    await clockPast(firstRun.at(-1)?.processed_at as string);
    await client.beta.sessions.events.send(s.id, { events: [say('second')] });
    await until(
      async () =>
        (await client.beta.sessions.events.list(s.id, { types: ['session.status_idle'] })).data.length === 2,
      5_000,
      'second idle',
    );
    const everything = await all(client.beta.sessions.events.list(s.id, { limit: 100 }));
    const secondRun = everything.slice(firstRun.length);
    expect(secondRun[0]).toMatchObject({ type: 'user.message' });
    const boundary = secondRun[0]?.processed_at as string;
    const at = (e: { processed_at?: string | null }) => Date.parse(e.processed_at ?? '');

    const since = await all(
      client.beta.sessions.events.list(s.id, { 'created_at[gte]': boundary, limit: 2 }),
    );
    expect(since.map((e) => e.id)).toEqual(secondRun.map((e) => e.id));
    expect(since.length).toBeGreaterThan(2); // several pages were walked

    const before = await all(
      client.beta.sessions.events.list(s.id, { 'created_at[lt]': boundary, limit: 2 }),
    );
    expect(before.map((e) => e.id)).toEqual(firstRun.map((e) => e.id));

    const newestFirst = await all(
      client.beta.sessions.events.list(s.id, { 'created_at[gte]': boundary, order: 'desc', limit: 3 }),
    );
    expect(newestFirst.map((e) => e.id)).toEqual(secondRun.map((e) => e.id).reverse());

    const last = everything.at(-1)?.processed_at as string;
    const gtLast = await all(client.beta.sessions.events.list(s.id, { 'created_at[gt]': last }));
    expect(gtLast).toEqual([]);
    const upToBoundary = await all(
      client.beta.sessions.events.list(s.id, { 'created_at[lte]': inPlusTwo(boundary), limit: 2 }),
    );
    expect(upToBoundary.map((e) => e.id)).toEqual(
      everything.filter((e) => at(e) <= Date.parse(boundary)).map((e) => e.id),
    );
    const typed = await all(
      client.beta.sessions.events.list(s.id, { 'created_at[gte]': boundary, types: ['agent.message'] }),
    );
    expect(typed.map((e) => (e.type === 'agent.message' ? e.content : []))).toEqual([
      [{ type: 'text', text: 'two' }],
    ]);
  });

  it('agents.list filters by created_at, across pages', async () => {
    h = await startApi();
    const { client } = h;
    const a1 = await client.beta.agents.create({ name: 'one', model: 'claude-test' });
    await clockPast(a1.created_at);
    const a2 = await client.beta.agents.create({ name: 'two', model: 'claude-test' });
    await clockPast(a2.created_at);
    const a3 = await client.beta.agents.create({ name: 'three', model: 'claude-test' });

    const ids = async (params: Anthropic.Beta.AgentListParams) =>
      (await all(client.beta.agents.list({ limit: 1, ...params }))).map((a) => a.id);
    expect(await ids({ 'created_at[gte]': a2.created_at })).toEqual([a2.id, a3.id]);
    // The YAML agent `helper` has no creation time of its own (the epoch), so it is oldest.
    expect(await ids({ 'created_at[lte]': a2.created_at })).toEqual(['helper', a1.id, a2.id]);
    expect(await ids({ 'created_at[gte]': a2.created_at, 'created_at[lte]': a2.created_at })).toEqual([
      a2.id,
    ]);
    expect(await ids({ 'created_at[gte]': inPlusTwo(a3.created_at) })).toEqual([a3.id]);

    await client.beta.agents.archive(a3.id);
    expect(await ids({ 'created_at[gte]': a2.created_at })).toEqual([a2.id]);
    expect(await ids({ 'created_at[gte]': a2.created_at, include_archived: true })).toEqual([a2.id, a3.id]);

    const bad = await client.beta.agents.list({ 'created_at[lte]': 'soon' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as Error).message).toContain('created_at[lte]');
  });
});
