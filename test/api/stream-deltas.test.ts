/**
 * `event_deltas` for `agent.thinking` and (Threadhand extension) `agent.tool_use` on the SDK's
 * event stream: only the asked-for previews arrive, before the durable event they precede.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { BetaManagedAgentsStreamSessionEvents } from '@anthropic-ai/sdk/resources/beta/sessions/events';
import { afterEach, describe, expect, it } from 'vitest';
import { type Tool, textResult } from '../../src/tools/types.js';
import { type ApiHarness, startApi } from './helpers.js';

let h: ApiHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Item = BetaManagedAgentsStreamSessionEvents;
const say = (text: string) => ({ type: 'user.message' as const, content: [{ type: 'text' as const, text }] });

async function readToIdle(stream: AsyncIterable<Item>): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of stream) {
    items.push(item);
    if (item.type === 'session.status_idle') break;
  }
  return items;
}

/** The `event_start` previews seen, by previewed event type. */
const startsOf = (items: Item[]) =>
  items.flatMap((i) => (i.type === 'event_start' ? [{ id: i.event.id, type: i.event.type }] : []));
const deltaText = (items: Item[], eventIds: Set<string>) =>
  items
    .flatMap((i) => (i.type === 'event_delta' && eventIds.has(i.event_id) ? [i.delta.content.text] : []))
    .join('');

describe('event_deltas on the event stream', () => {
  it('agent.thinking previews the thinking as it streams, and nothing else', async () => {
    const thinking = 'First, consider what the user really asked for here.';
    const answer = 'Here is the considered answer.';
    h = await startApi({
      script: [
        {
          content: [
            { type: 'thinking', thinking, signature: 'sig-1' },
            { type: 'text', text: answer },
          ],
          chunkSize: 4,
          chunkDelayMs: 3,
        },
      ],
    });
    const { client } = h;
    const s = await client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
    const thinkingOnly = await client.beta.sessions.events.stream(s.id, { event_deltas: ['agent.thinking'] });
    const messageOnly = await client.beta.sessions.events.stream(s.id, { event_deltas: ['agent.message'] });
    await client.beta.sessions.events.send(s.id, { events: [say('think first')] });
    const [items, messageItems] = await Promise.all([readToIdle(thinkingOnly), readToIdle(messageOnly)]);

    const starts = startsOf(items);
    expect(starts.map((x) => x.type)).toEqual(['agent.thinking']);
    const thinkingIds = new Set(starts.map((x) => x.id));
    const deltas = items.filter((i) => i.type === 'event_delta');
    expect(deltas.length).toBeGreaterThan(1);
    // Every delta belongs to the thinking preview: no message text leaks into this connection.
    expect(deltas.every((d) => d.type === 'event_delta' && thinkingIds.has(d.event_id))).toBe(true);
    expect(deltaText(items, thinkingIds)).toBe(thinking);

    const types = items.map((i) => i.type);
    expect(types.indexOf('event_start')).toBeLessThan(types.lastIndexOf('event_delta'));
    expect(types.lastIndexOf('event_delta')).toBeLessThan(types.indexOf('agent.thinking'));
    expect(items.find((i) => i.type === 'agent.thinking')).toMatchObject({ thinking });
    const message = items.find((i) => i.type === 'agent.message');
    expect(message?.type === 'agent.message' ? message.content : []).toEqual([
      { type: 'text', text: answer },
    ]);

    // The connection that asked for agent.message previews gets the answer text and no thinking.
    const messageStarts = startsOf(messageItems);
    expect(messageStarts.map((x) => x.type)).toEqual(['agent.message']);
    expect(deltaText(messageItems, new Set(messageStarts.map((x) => x.id)))).toBe(answer);
    expect(JSON.stringify(messageItems.filter((i) => i.type === 'event_delta'))).not.toContain('consider');
  });

  it('agent.tool_use streams a tool’s output keyed by the tool_use id, only where asked for', async () => {
    const progress = tool('build', ['compiling 1/2\n', 'compiling 2/2\n', 'linking\n']);
    h = await startApi({
      extraTools: [progress],
      script: [
        { content: [{ type: 'tool_use', name: 'build', input: {} }] },
        { content: [{ type: 'text', text: 'Built.' }], chunkSize: 2, chunkDelayMs: 2 },
      ],
    });
    const { client } = h;
    const s = await client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
    const withTools = await client.beta.sessions.events.stream(s.id, {
      event_deltas: ['agent.tool_use'],
    } as unknown as Anthropic.Beta.Sessions.EventStreamParams);
    const plain = await client.beta.sessions.events.stream(s.id);
    await client.beta.sessions.events.send(s.id, { events: [say('build it')] });
    const [items, plainItems] = await Promise.all([readToIdle(withTools), readToIdle(plain)]);

    const use = items.find((i) => i.type === 'agent.tool_use');
    if (use?.type !== 'agent.tool_use') throw new Error('no agent.tool_use on the stream');
    const deltas = items.filter((i) => i.type === 'event_delta');
    expect(deltas.map((d) => (d.type === 'event_delta' ? d.event_id : ''))).toEqual([use.id, use.id, use.id]);
    expect(deltaText(items, new Set([use.id]))).toBe('compiling 1/2\ncompiling 2/2\nlinking\n');
    // Message previews were not asked for on this connection.
    expect(startsOf(items)).toEqual([]);

    const types = items.map((i) => i.type);
    expect(types.indexOf('agent.tool_use')).toBeLessThan(types.indexOf('event_delta'));
    expect(types.lastIndexOf('event_delta')).toBeLessThan(types.indexOf('agent.tool_result'));
    expect(plainItems.map((i) => i.type)).not.toContain('event_delta');
    expect(plainItems.map((i) => i.type)).toContain('agent.tool_result');

    // Deltas are live-only: the stored log has no trace of them.
    const stored = await client.beta.sessions.events.list(s.id, { limit: 100 });
    expect(stored.data.map((e) => e.type)).not.toContain('event_delta');
  });

  it('rejects an event_deltas type it does not know, naming the parameter', async () => {
    h = await startApi();
    const { client } = h;
    const s = await client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
    const error = await client.beta.sessions.events
      .stream(s.id, { event_deltas: ['agent.bogus'] } as unknown as Anthropic.Beta.Sessions.EventStreamParams)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400 });
    expect((error as Error).message).toContain('event_deltas');
  });
});

/** A tool that reports each of `lines` as progress, then finishes. */
function tool(name: string, lines: string[]): Tool {
  return {
    name,
    description: `The ${name} tool.`,
    input_schema: { type: 'object', properties: {} },
    kind: 'test',
    permission: 'always_allow',
    async run(_input, ctx) {
      for (const line of lines) {
        ctx.onProgress(line);
        await new Promise((r) => setTimeout(r, 5));
      }
      return textResult('ok');
    },
  };
}
