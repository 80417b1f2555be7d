/**
 * `events.send` with `user.interrupt` and `user.tool_confirmation`, driven through the SDK: what
 * a client sees on the event stream and what the model is sent next.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { BetaManagedAgentsStreamSessionEvents } from '@anthropic-ai/sdk/resources/beta/sessions/events';
import { afterEach, describe, expect, it } from 'vitest';
import { type Tool, textResult } from '../../src/tools/types.js';
import type { RecordedRequest } from '../fakes/anthropic/types.js';
import { until } from '../helpers/threadhand.js';
import { type ApiHarness, startApi } from './helpers.js';

let h: ApiHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Item = BetaManagedAgentsStreamSessionEvents;
const say = (text: string) => ({ type: 'user.message' as const, content: [{ type: 'text' as const, text }] });

/** A tool that blocks until aborted (or released); records every input it ran with. */
function gate(name: string, permission: Tool['permission']) {
  const state: { runs: unknown[]; started: boolean; release: () => void } = {
    runs: [],
    started: false,
    release: () => undefined,
  };
  const tool: Tool = {
    name,
    description: `The ${name} tool.`,
    input_schema: { type: 'object', properties: { target: { type: 'string' } } },
    kind: 'test',
    permission,
    run(input, ctx) {
      state.runs.push(input);
      state.started = true;
      return new Promise((resolve) => {
        state.release = () => resolve(textResult(`${name} done for ${String(input.target)}`));
        ctx.signal.addEventListener('abort', () => resolve(textResult('aborted', true)), { once: true });
      });
    },
  };
  return { tool, state };
}

/** Reads one stream in steps: each call reads on into `items` until `stop` matches an item. */
function reader(stream: AsyncIterable<Item>, items: Item[]) {
  const iterator = stream[Symbol.asyncIterator]();
  return async (stop: (item: Item) => boolean): Promise<Item> => {
    for (;;) {
      const next = await iterator.next();
      if (next.done)
        throw new Error(`stream ended before the awaited item; saw ${items.map((i) => i.type).join(', ')}`);
      items.push(next.value);
      if (stop(next.value)) return next.value;
    }
  };
}

/** The tool_result blocks the model was sent in a request. */
function toolResultsIn(request: RecordedRequest | undefined) {
  const messages = (request?.body.messages ?? []) as { role: string; content: unknown }[];
  return messages.flatMap((m) =>
    Array.isArray(m.content)
      ? (m.content as { type: string; tool_use_id?: string; content?: unknown; is_error?: boolean }[]).filter(
          (b) => b.type === 'tool_result',
        )
      : [],
  );
}

const isIdle = (item: Item) => item.type === 'session.status_idle';

async function openSession(client: Anthropic) {
  const session = await client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
  const stream = await client.beta.sessions.events.stream(session.id);
  const items: Item[] = [];
  return { session, items, readUntil: reader(stream, items) };
}

describe('events.send: user.interrupt', () => {
  it('stops a running tool within a second; the stream shows the interrupt, the error result and the idle', async () => {
    const { tool, state } = gate('wait', 'always_allow');
    h = await startApi({
      extraTools: [tool],
      script: [
        { content: [{ type: 'tool_use', name: 'wait', input: { target: 'forever' } }] },
        { content: [{ type: 'text', text: 'should never be asked for' }] },
      ],
    });
    const { client } = h;
    const { session, items, readUntil } = await openSession(client);
    await client.beta.sessions.events.send(session.id, { events: [say('wait for it')] });
    await readUntil((i) => i.type === 'agent.tool_use');
    await until(() => state.started, 5_000, 'the tool to start');
    expect((await client.beta.sessions.retrieve(session.id)).status).toBe('running');

    const sent = Date.now();
    await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] });
    const idle = await readUntil(isIdle);
    expect(Date.now() - sent).toBeLessThan(1_000);

    const after = items.slice(items.findIndex((i) => i.type === 'agent.tool_use'));
    expect(after.map((i) => i.type)).toEqual(
      expect.arrayContaining(['user.interrupt', 'agent.tool_result', 'session.status_idle']),
    );
    const result = items.find((i) => i.type === 'agent.tool_result');
    expect(result).toMatchObject({ is_error: true });
    expect(idle).toMatchObject({ stop_reason: { type: 'end_turn' } });
    expect((await client.beta.sessions.retrieve(session.id)).status).toBe('idle');
    // The interrupted turn made no further model call.
    expect(h.t.fake.requests).toHaveLength(1);
  });

  it('stops a streaming model answer within a second and keeps what was already written', async () => {
    h = await startApi({
      script: [{ content: [{ type: 'text', text: 'word '.repeat(400) }], chunkSize: 5, chunkDelayMs: 20 }],
    });
    const { client } = h;
    const { session, items, readUntil } = await openSession(client);
    await client.beta.sessions.events.send(session.id, { events: [say('talk a lot')] });
    await readUntil((i) => i.type === 'span.model_request_start');
    await until(() => (h?.t.fake.requests.length ?? 0) > 0, 5_000, 'the model request');

    const sent = Date.now();
    await client.beta.sessions.events.send(session.id, { events: [{ type: 'user.interrupt' }] });
    await readUntil(isIdle);
    expect(Date.now() - sent).toBeLessThan(1_000);

    const types = items.map((i) => i.type);
    expect(types.indexOf('user.interrupt')).toBeLessThan(types.indexOf('session.status_idle'));
    expect((await client.beta.sessions.retrieve(session.id)).status).toBe('idle');
    expect(h.t.fake.requests).toHaveLength(1);
    const message = items.find((i) => i.type === 'agent.message');
    const said =
      message?.type === 'agent.message'
        ? message.content.map((b) => ('text' in b ? b.text : '')).join('')
        : '';
    expect(said.startsWith('word')).toBe(true);
    expect(said.length).toBeLessThan('word '.repeat(400).length);
    // The cut-off request is recorded as one that did not complete.
    const end = items.find((i) => i.type === 'span.model_request_end');
    expect(end).toMatchObject({ is_error: true });
  });
});

describe('events.send: user.tool_confirmation', () => {
  it('waits for approval of an always_ask tool, then allow runs it and the model gets its result', async () => {
    const { tool, state } = gate('deploy', 'always_ask');
    h = await startApi({
      extraTools: [tool],
      script: [
        { content: [{ type: 'tool_use', name: 'deploy', input: { target: 'prod' } }] },
        { content: [{ type: 'text', text: 'Deployed.' }] },
      ],
    });
    const { client } = h;
    const { session, items, readUntil } = await openSession(client);
    await client.beta.sessions.events.send(session.id, { events: [say('ship it')] });
    const waiting = await readUntil(isIdle);
    const use = items.find((i) => i.type === 'agent.tool_use');
    if (use?.type !== 'agent.tool_use') throw new Error('no agent.tool_use on the stream');
    expect(use).toMatchObject({ name: 'deploy', input: { target: 'prod' }, evaluated_permission: 'ask' });
    expect(waiting).toMatchObject({ stop_reason: { type: 'requires_action', event_ids: [use.id] } });
    expect(state.runs).toEqual([]);
    expect(h.t.fake.requests).toHaveLength(1);

    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }],
    });
    await until(() => state.started, 5_000, 'the approved tool to run');
    state.release();
    const done = await readUntil(isIdle);
    expect(done).toMatchObject({ stop_reason: { type: 'end_turn' } });
    expect(state.runs).toEqual([{ target: 'prod' }]);
    expect(items.find((i) => i.type === 'agent.tool_result')).toMatchObject({
      tool_use_id: use.id,
      is_error: false,
      content: [{ type: 'text', text: 'deploy done for prod' }],
    });
    expect(h.t.fake.requests).toHaveLength(2);
    expect(toolResultsIn(h.t.fake.requests[1])).toEqual([
      expect.objectContaining({
        content: [expect.objectContaining({ type: 'text', text: 'deploy done for prod' })],
      }),
    ]);
    const last = items.filter((i) => i.type === 'agent.message').at(-1);
    expect(last?.type === 'agent.message' ? last.content : []).toEqual([{ type: 'text', text: 'Deployed.' }]);
  });

  it('deny with a message: the tool never runs and the next model request carries the denial', async () => {
    const { tool, state } = gate('deploy', 'always_ask');
    h = await startApi({
      extraTools: [tool],
      script: [
        { content: [{ type: 'tool_use', name: 'deploy', input: { target: 'prod' } }] },
        { content: [{ type: 'text', text: 'Understood, not deploying.' }] },
      ],
    });
    const { client } = h;
    const { session, items, readUntil } = await openSession(client);
    await client.beta.sessions.events.send(session.id, { events: [say('ship it')] });
    await readUntil(isIdle);
    const use = items.find((i) => i.type === 'agent.tool_use');
    if (use?.type !== 'agent.tool_use') throw new Error('no agent.tool_use on the stream');

    await client.beta.sessions.events.send(session.id, {
      events: [
        {
          type: 'user.tool_confirmation',
          tool_use_id: use.id,
          result: 'deny',
          deny_message: 'not on a Friday',
        },
      ],
    });
    const done = await readUntil(isIdle);
    expect(done).toMatchObject({ stop_reason: { type: 'end_turn' } });
    expect(state.runs).toEqual([]);
    const result = items.find((i) => i.type === 'agent.tool_result');
    expect(result).toMatchObject({ tool_use_id: use.id, is_error: true });
    expect(JSON.stringify(result)).toContain('not on a Friday');

    expect(h.t.fake.requests).toHaveLength(2);
    const denial = toolResultsIn(h.t.fake.requests[1]);
    expect(denial).toHaveLength(1);
    expect(denial[0]).toMatchObject({ is_error: true });
    expect(JSON.stringify(denial[0]?.content)).toContain('not on a Friday');
    const stored = await client.beta.sessions.events.list(session.id, { types: ['user.tool_confirmation'] });
    expect(stored.data).toEqual([
      expect.objectContaining({ tool_use_id: use.id, result: 'deny', deny_message: 'not on a Friday' }),
    ]);
  });
});
