import type { BetaManagedAgentsStreamSessionEvents } from '@anthropic-ai/sdk/resources/beta/sessions/events';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/threadhand.js';
import { API_KEY, type ApiHarness, startApi } from './helpers.js';

let h: ApiHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const say = (text: string) => ({ type: 'user.message' as const, content: [{ type: 'text' as const, text }] });
type Item = BetaManagedAgentsStreamSessionEvents;
const idOf = (item: Item): string | undefined =>
  'id' in item && typeof item.id === 'string' ? item.id : undefined;

describe('event stream (SSE)', () => {
  it('streams live events, and live deltas only when event_deltas asks', async () => {
    const long = 'The quick brown fox jumps over the lazy dog.';
    h = await startApi({
      script: [
        { content: [{ type: 'text', text: long }], chunkSize: 5, chunkDelayMs: 5 },
        { content: [{ type: 'text', text: 'plain' }] },
      ],
    });
    const { client } = h;
    const s = await client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });

    const stream = await client.beta.sessions.events.stream(s.id, { event_deltas: ['agent.message'] });
    await client.beta.sessions.events.send(s.id, { events: [say('tell me')] });
    const items: Item[] = [];
    for await (const item of stream) {
      items.push(item);
      if (item.type === 'session.status_idle') break;
    }
    const types = items.map((i) => i.type);
    expect(types[0]).toBe('user.message');
    expect(types).toContain('event_start');
    const deltas = items.filter((i) => i.type === 'event_delta');
    expect(deltas.length).toBeGreaterThan(1);
    const streamed = deltas.map((d) => (d.type === 'event_delta' ? d.delta.content.text : '')).join('');
    expect(streamed).toBe(long);
    const message = items.find((i) => i.type === 'agent.message');
    expect(message && message.type === 'agent.message' ? message.content : []).toEqual([
      { type: 'text', text: long },
    ]);
    // Deltas come before the durable message that finalises them.
    expect(types.lastIndexOf('event_delta')).toBeLessThan(types.indexOf('agent.message'));

    const plain = await client.beta.sessions.events.stream(s.id);
    await client.beta.sessions.events.send(s.id, { events: [say('again')] });
    const plainTypes: string[] = [];
    for await (const item of plain) {
      plainTypes.push(item.type);
      if (item.type === 'session.status_idle') break;
    }
    expect(plainTypes).toContain('agent.message');
    expect(plainTypes).not.toContain('event_delta');
    expect(plainTypes).not.toContain('event_start');
  });

  it.each(['sqlite', 'redis'] as const)(
    'resumes after a dropped connection from Last-Event-ID with no gap and no duplicate (%s)',
    async (backend) => {
      h = await startApi({
        backend,
        script: [
          {
            content: [
              { type: 'thinking', thinking: 'hmm' },
              { type: 'text', text: 'part one of a long answer' },
            ],
            chunkSize: 3,
            chunkDelayMs: 10,
          },
        ],
      });
      const { client } = h;
      const s = await client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
      const startId = (await h.t.events(s.id)).at(-1)?.id;

      const first = await client.beta.sessions.events.stream(s.id);
      await client.beta.sessions.events.send(s.id, { events: [say('go')] });
      const seen: string[] = [];
      for await (const item of first) {
        const id = idOf(item);
        if (id) seen.push(id);
        if (item.type === 'span.model_request_start') break; // the connection drops mid-run
      }
      await until(() => h?.routes.openStreams() === 0, 5_000, 'the dropped stream to close');

      const lastSeen = seen.at(-1) as string;
      const resumed = await client.beta.sessions.events.stream(
        s.id,
        {},
        { headers: { 'Last-Event-ID': lastSeen } },
      );
      for await (const item of resumed) {
        const id = idOf(item);
        if (id) seen.push(id);
        if (item.type === 'session.status_idle') break;
      }
      const log = (await h.t.events(s.id)).map((e) => e.id);
      const expected = startId ? log.slice(log.indexOf(startId) + 1) : log;
      expect(seen).toEqual(expected);
      expect(new Set(seen).size).toBe(seen.length);
    },
  );

  it('sends keep-alive pings, rejects a bad Last-Event-ID, and closes cleanly when the client goes away', async () => {
    h = await startApi({ keepAliveMs: 30 });
    const s = await h.client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
    const controller = new AbortController();
    const res = await fetch(`${h.server.url}/v1/sessions/${s.id}/events/stream`, {
      headers: { 'x-api-key': API_KEY },
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('event: ping')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('event: ping');
    expect(h.routes.openStreams()).toBe(1);
    controller.abort();
    await until(() => h?.routes.openStreams() === 0, 5_000, 'the stream to close after the client left');

    const bad = await fetch(`${h.server.url}/v1/sessions/${s.id}/events/stream`, {
      headers: { 'x-api-key': API_KEY, 'last-event-id': 'nonsense' },
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('Last-Event-ID') },
    });

    const missing = await fetch(`${h.server.url}/v1/sessions/sesn_nope/events/stream`, {
      headers: { 'x-api-key': API_KEY },
    });
    expect(missing.status).toBe(404);
  });

  it('ends the stream when the session is deleted', async () => {
    h = await startApi();
    const s = await h.client.beta.sessions.create({ agent: 'helper', environment_id: 'default' });
    const stream = await h.client.beta.sessions.events.stream(s.id);
    const collected = (async () => {
      const types: string[] = [];
      for await (const item of stream) types.push(item.type);
      return types;
    })();
    await until(() => h?.routes.openStreams() === 1, 5_000, 'stream open');
    await h.client.beta.sessions.delete(s.id);
    const types = await collected;
    expect(types).toContain('session.status_terminated');
    expect(h.routes.openStreams()).toBe(0);
  });
});
