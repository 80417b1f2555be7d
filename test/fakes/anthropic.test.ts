import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic } from './anthropic/server.js';

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function client(f: FakeAnthropic, apiKey = 'sk-test', extra: Record<string, unknown> = {}) {
  return new Anthropic({ apiKey, baseURL: f.url, maxRetries: 0, ...extra });
}

const params = {
  model: 'claude-sonnet-4-6',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'hello' }],
};

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met before deadline');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('fake Anthropic server with the real SDK', () => {
  it('streams text in several deltas and the final message matches', async () => {
    fake = await startFakeAnthropic({
      script: [
        {
          content: [{ type: 'text', text: 'Hello from the fake model, streamed.' }],
          usage: { input_tokens: 12, output_tokens: 7 },
        },
      ],
    });
    const stream = client(fake).messages.stream(params);
    const deltas: string[] = [];
    stream.on('text', (t) => deltas.push(t));
    const message = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe('Hello from the fake model, streamed.');
    expect(message.content).toEqual([
      { type: 'text', text: 'Hello from the fake model, streamed.', citations: null },
    ]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage.input_tokens).toBe(12);
    expect(message.usage.output_tokens).toBe(7);
  });

  it('streams thinking with a signature and tool_use with parsed input', async () => {
    fake = await startFakeAnthropic({
      script: [
        {
          content: [
            { type: 'thinking', thinking: 'I should list files.' },
            { type: 'text', text: 'Let me look.' },
            { type: 'tool_use', name: 'bash', input: { command: 'ls -la', timeout: 5 }, id: 'toolu_1' },
          ],
          usage: {
            input_tokens: 100,
            output_tokens: 20,
            cache_read_input_tokens: 80,
            cache_creation_input_tokens: 5,
          },
        },
      ],
    });
    const message = await client(fake).messages.stream(params).finalMessage();
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[0]).toMatchObject({ type: 'thinking', thinking: 'I should list files.' });
    expect((message.content[0] as { signature: string }).signature).not.toBe('');
    expect(message.content[2]).toEqual({
      type: 'tool_use',
      id: 'toolu_1',
      name: 'bash',
      input: { command: 'ls -la', timeout: 5 },
    });
    expect(message.usage.cache_read_input_tokens).toBe(80);
    expect(message.usage.cache_creation_input_tokens).toBe(5);
  });

  it('speaks the beta endpoint and non-streaming JSON, consuming turns in order', async () => {
    fake = await startFakeAnthropic({
      script: [{ content: [{ type: 'text', text: 'one' }] }, { content: [{ type: 'text', text: 'two' }] }],
    });
    const c = client(fake);
    const first = await c.messages.create(params);
    expect(first.content).toEqual([{ type: 'text', text: 'one', citations: null }]);
    const second = await c.beta.messages.stream(params).finalMessage();
    expect(second.content[0]).toMatchObject({ type: 'text', text: 'two' });
    await expect(c.messages.create(params)).rejects.toThrow(/script exhausted/);
  });

  it('records headers and bodies, including cache_control', async () => {
    fake = await startFakeAnthropic({ script: [{ content: [{ type: 'text', text: 'ok' }] }] });
    await client(fake)
      .messages.stream({
        ...params,
        system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
      })
      .finalMessage();
    const [req] = fake.requests;
    expect(req?.headers['x-api-key'] ?? req?.headers.authorization).toMatch(/sk-test/);
    expect(req?.headers['anthropic-version']).toBeTruthy();
    expect(req?.body.stream).toBe(true);
    expect(req?.body.system[0].cache_control).toEqual({ type: 'ephemeral' });
    expect(req?.body.messages).toEqual(params.messages);
    expect(req?.completed).toBe(true);
  });

  it('accepts Bearer auth and rejects a wrong key with an authentication_error', async () => {
    fake = await startFakeAnthropic({
      apiKey: 'right',
      script: () => ({ content: [{ type: 'text', text: 'hi' }] }),
    });
    const bearer = new Anthropic({ apiKey: null, authToken: 'right', baseURL: fake.url, maxRetries: 0 });
    const ok = await bearer.messages.create(params);
    expect(ok.content[0]).toMatchObject({ text: 'hi' });
    expect(fake.requests[0]?.headers.authorization).toBe('Bearer right');
    const err = await client(fake, 'wrong')
      .messages.create(params)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).status).toBe(401);
  });

  it('answers scripted errors with status, type and retry-after', async () => {
    fake = await startFakeAnthropic({
      script: [
        { error: { status: 429, type: 'rate_limit_error', message: 'slow down', retryAfter: 3 } },
        { error: { status: 529, type: 'overloaded_error' } },
      ],
    });
    const c = client(fake);
    const err = (await c.messages
      .stream(params)
      .finalMessage()
      .catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.headers?.get('retry-after')).toBe('3');
    expect(err.message).toContain('slow down');
    const overloaded = (await c.messages.create(params).catch((e: unknown) => e)) as InstanceType<
      typeof Anthropic.APIError
    >;
    expect(overloaded.status).toBe(529);
    expect(JSON.stringify(overloaded.error)).toContain('overloaded_error');
  });

  it('the SDK retries honour retry-after against the fake', async () => {
    fake = await startFakeAnthropic({
      script: [
        { error: { status: 529, type: 'overloaded_error', retryAfterMs: 50 } },
        { content: [{ type: 'text', text: 'after retry' }] },
      ],
    });
    const c = client(fake, 'sk-test', { maxRetries: 1 });
    const m = await c.messages.stream(params).finalMessage();
    expect(m.content[0]).toMatchObject({ text: 'after retry' });
    expect(fake.requests).toHaveLength(2);
  });

  it('sends a mid-stream error event that the SDK surfaces', async () => {
    fake = await startFakeAnthropic({
      script: [
        {
          content: [{ type: 'text', text: 'partial answer' }],
          midStreamError: { type: 'overloaded_error', message: 'Overloaded' },
        },
      ],
    });
    const stream = client(fake).messages.stream(params);
    let text = '';
    stream.on('text', (t) => {
      text += t;
    });
    await expect(stream.finalMessage()).rejects.toThrow(/Overloaded/);
    expect(text).toBe('partial answer');
  });

  it('dynamic scripts see the request; a hanging stream closes server-side on abort', async () => {
    fake = await startFakeAnthropic({
      script: (req, i) =>
        i === 0
          ? { content: [{ type: 'text', text: 'thinking...' }], hang: true }
          : { content: [{ type: 'text', text: `saw ${req.body.messages.length}` }] },
    });
    const c = client(fake);
    const stream = c.messages.stream(params);
    let text = '';
    stream.on('text', (t) => {
      text += t;
    });
    await until(() => text === 'thinking...');
    const started = Date.now();
    stream.abort();
    await expect(stream.finalMessage()).rejects.toThrow();
    await until(() => fake?.requests[0]?.aborted === true);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.requests[0]?.completed).toBe(false);
    const m = await c.messages.create(params);
    expect(m.content[0]).toMatchObject({ text: 'saw 1' });
  });

  it('paces deltas with chunkDelayMs and firstTokenDelayMs; setScript restarts the script', async () => {
    fake = await startFakeAnthropic({ script: [] });
    fake.setScript([
      {
        content: [{ type: 'text', text: 'abcdefghij' }],
        chunkSize: 2,
        chunkDelayMs: 20,
        firstTokenDelayMs: 50,
      },
    ]);
    const stream = client(fake).messages.stream(params);
    const times: number[] = [];
    const start = Date.now();
    stream.on('text', () => times.push(Date.now() - start));
    await stream.finalMessage();
    expect(times).toHaveLength(5);
    expect(times[0]).toBeGreaterThanOrEqual(45);
    expect((times[4] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(60);
  });

  it('works through ANTHROPIC_BASE_URL', async () => {
    fake = await startFakeAnthropic({ script: [{ content: [{ type: 'text', text: 'env ok' }] }] });
    const saved = process.env.ANTHROPIC_BASE_URL;
    process.env.ANTHROPIC_BASE_URL = fake.url;
    try {
      const c = new Anthropic({ apiKey: 'k', maxRetries: 0 });
      const m = await c.messages.create(params);
      expect(m.content[0]).toMatchObject({ text: 'env ok' });
    } finally {
      if (saved === undefined) delete process.env.ANTHROPIC_BASE_URL;
      else process.env.ANTHROPIC_BASE_URL = saved;
    }
  });

  it('waitForRequests resolves when requests arrive', async () => {
    fake = await startFakeAnthropic({ script: [{ content: [{ type: 'text', text: 'x' }], delayMs: 30 }] });
    const waiting = fake.waitForRequests(1, 2000);
    const call = client(fake).messages.create(params);
    const reqs = await waiting;
    expect(reqs[0]?.body.model).toBe('claude-sonnet-4-6');
    await call;
  });
});
