import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/events/schema.js';
import { type Tool, textResult } from '../../src/tools/types.js';
import { startTestThreadhand, type TestThreadhand, text, until } from '../helpers/threadhand.js';

type AnyRequest = {
  body: { messages: { role: string; content: unknown }[]; system?: unknown; tools?: unknown[] };
};

let t: TestThreadhand | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const echo = (calls: string[] = []): Tool => ({
  name: 'echo',
  description: 'Echoes its input.',
  input_schema: { type: 'object', properties: { text: { type: 'string' } } },
  kind: 'test',
  permission: 'always_allow',
  async run(input) {
    calls.push(String(input.text));
    return textResult(`echo: ${String(input.text)}`);
  },
});

/** A tool that blocks until released or aborted; counts its runs. */
function gate(permission: 'always_allow' | 'always_ask' = 'always_allow') {
  let release: () => void = () => undefined;
  const state = { runs: 0, started: false, release: () => release() };
  const tool: Tool = {
    name: 'gate',
    description: 'Waits.',
    input_schema: { type: 'object', properties: {} },
    kind: 'test',
    permission,
    run(_input, ctx) {
      state.runs++;
      state.started = true;
      return new Promise((resolve) => {
        release = () => resolve(textResult('gate opened'));
        ctx.signal.addEventListener('abort', () => resolve(textResult('aborted', true)), { once: true });
      });
    },
  };
  return { tool, state };
}

const types = (events: SessionEvent[]) => events.map((e) => e.type);
const lastIdle = (events: SessionEvent[]) => events.findLast((e) => e.type === 'session.status_idle');
const requestText = (r: AnyRequest) => JSON.stringify(r.body.messages);

describe('harness', () => {
  it('runs the tool loop and appends every step in order', async () => {
    const calls: string[] = [];
    t = await startTestThreadhand({
      extraTools: [echo(calls)],
      script: [
        { content: [{ type: 'tool_use', name: 'echo', input: { text: 'hi' } }] },
        { content: [{ type: 'text', text: 'All done.' }] },
      ],
    });
    const session = await t.th.runtime.createSession({ initialEvents: [text('say hi')] });
    await t.th.runtime.waitForIdle(session.id, { timeoutMs: 10_000 });
    const events = await t.events(session.id);
    expect(types(events)).toEqual([
      'user.message',
      'session.status_running',
      'span.model_request_start',
      'agent.tool_use',
      'span.model_request_end',
      'agent.tool_result',
      'span.model_request_start',
      'agent.message',
      'span.model_request_end',
      'session.status_idle',
    ]);
    expect(calls).toEqual(['hi']);
    const use = events.find((e) => e.type === 'agent.tool_use')!;
    const result = events.find((e) => e.type === 'agent.tool_result');
    expect(result).toMatchObject({ tool_use_id: use.id, content: [{ type: 'text', text: 'echo: hi' }] });
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'end_turn' } });
    // The second request carries the tool result for the first request's tool call.
    const second = t.fake.requests[1] as AnyRequest;
    expect(requestText(second)).toContain('echo: hi');
    expect(requestText(second)).toContain(use.id);
    // Ids are unique and sort in log order.
    const ids = events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('asks before always_ask tools and continues on approval', async () => {
    const { tool, state } = gate('always_ask');
    t = await startTestThreadhand({
      extraTools: [tool],
      script: [
        { content: [{ type: 'tool_use', name: 'gate', input: {} }] },
        { content: [{ type: 'text', text: 'Finished.' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('open the gate')] });
    await t.th.runtime.waitForIdle(s.id);
    let events = await t.events(s.id);
    const use = events.find((e) => e.type === 'agent.tool_use')!;
    expect(use).toMatchObject({ evaluated_permission: 'ask', evaluation: { type: 'always_ask' } });
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'requires_action', event_ids: [use.id] } });
    expect(state.runs).toBe(0);

    await t.th.runtime.send(s.id, [{ type: 'user.tool_confirmation', tool_use_id: use.id, result: 'allow' }]);
    await until(() => state.started, 5000, 'tool start');
    state.release();
    await t.th.runtime.waitForIdle(s.id);
    events = await t.events(s.id);
    expect(state.runs).toBe(1);
    expect(events.find((e) => e.type === 'agent.tool_result')).toMatchObject({
      tool_use_id: use.id,
      is_error: false,
    });
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'end_turn' } });
  });

  it("a denial reaches the model with the user's reason, and the tool never runs", async () => {
    const { tool, state } = gate('always_ask');
    t = await startTestThreadhand({
      extraTools: [tool],
      script: [
        { content: [{ type: 'tool_use', name: 'gate', input: {} }] },
        { content: [{ type: 'text', text: 'OK, I will not.' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('open the gate')] });
    await t.th.runtime.waitForIdle(s.id);
    const use = (await t.events(s.id)).find((e) => e.type === 'agent.tool_use')!;
    await t.th.runtime.send(s.id, [
      { type: 'user.tool_confirmation', tool_use_id: use.id, result: 'deny', deny_message: 'not on prod' },
    ]);
    await t.th.runtime.waitForIdle(s.id);
    expect(state.runs).toBe(0);
    const last = t.fake.requests.at(-1) as AnyRequest;
    expect(requestText(last)).toContain('not on prod');
    expect(requestText(last)).toContain('"is_error":true');
  });

  it("custom tools wait for the client's result", async () => {
    t = await startTestThreadhand({
      agents: [
        {
          name: 'test',
          model: 'claude-test',
          tools: [
            {
              type: 'custom',
              name: 'lookup_order',
              description: 'Looks up an order.',
              input_schema: { type: 'object', properties: { id: { type: 'string' } } },
            },
          ],
        },
      ],
      script: [
        { content: [{ type: 'tool_use', name: 'lookup_order', input: { id: '1234' } }] },
        { content: [{ type: 'text', text: 'It shipped.' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('where is order 1234?')] });
    await t.th.runtime.waitForIdle(s.id);
    let events = await t.events(s.id);
    const use = events.find((e) => e.type === 'agent.custom_tool_use')!;
    expect(use).toMatchObject({ name: 'lookup_order', input: { id: '1234' } });
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'requires_action', event_ids: [use.id] } });
    await t.th.runtime.send(s.id, [
      {
        type: 'user.custom_tool_result',
        custom_tool_use_id: use.id,
        content: [{ type: 'text', text: 'status: shipped' }],
      },
    ]);
    await t.th.runtime.waitForIdle(s.id);
    events = await t.events(s.id);
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'end_turn' } });
    expect(requestText(t.fake.requests.at(-1) as AnyRequest)).toContain('status: shipped');
  });

  it('a message sent while running steers the next model call', async () => {
    const { tool, state } = gate();
    t = await startTestThreadhand({
      extraTools: [tool],
      script: [
        { content: [{ type: 'tool_use', name: 'gate', input: {} }] },
        { content: [{ type: 'text', text: 'Done, in French.' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('do the thing')] });
    await until(() => state.started, 5000, 'tool start');
    await t.th.runtime.send(s.id, [text('answer in French please')]);
    state.release();
    await t.th.runtime.waitForIdle(s.id);
    expect(t.fake.requests).toHaveLength(2);
    const second = requestText(t.fake.requests[1] as AnyRequest);
    expect(second).toContain('answer in French please');
    expect(second.indexOf('gate opened')).toBeLessThan(second.indexOf('answer in French please'));
    expect(lastIdle(await t.events(s.id))).toMatchObject({ stop_reason: { type: 'end_turn' } });
  });

  it('an interrupt stops a running tool within a second', async () => {
    const { tool, state } = gate();
    t = await startTestThreadhand({
      extraTools: [tool],
      script: [{ content: [{ type: 'tool_use', name: 'gate', input: {} }] }],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('wait forever')] });
    await until(() => state.started, 5000, 'tool start');
    const sent = Date.now();
    await t.th.runtime.send(s.id, [{ type: 'user.interrupt' }]);
    await until(async () => lastIdle(await t!.events(s.id)), 5000, 'idle');
    const elapsed = Date.now() - sent;
    expect(elapsed).toBeLessThan(1000);
    const events = await t.events(s.id);
    expect(events.find((e) => e.type === 'agent.tool_result')).toMatchObject({ is_error: true });
    expect(t.fake.requests).toHaveLength(1);
  });

  it('an interrupt aborts a streaming model answer within a second and keeps what was said', async () => {
    t = await startTestThreadhand({
      script: [{ content: [{ type: 'text', text: 'word '.repeat(400) }], chunkSize: 5, chunkDelayMs: 20 }],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('talk a lot')] });
    await until(() => t!.fake.requests.length > 0, 5000, 'model request');
    await new Promise((r) => setTimeout(r, 100));
    const sent = Date.now();
    await t.th.runtime.send(s.id, [{ type: 'user.interrupt' }]);
    await until(async () => lastIdle(await t!.events(s.id)), 5000, 'idle');
    expect(Date.now() - sent).toBeLessThan(1000);
    const message = (await t.events(s.id)).find((e) => e.type === 'agent.message');
    expect(
      message?.type === 'agent.message' &&
        message.content[0]?.type === 'text' &&
        message.content[0].text.startsWith('word'),
    ).toBe(true);
  });

  it('retries overloaded and rate-limited answers, honouring retry-after', async () => {
    t = await startTestThreadhand({
      script: [
        { error: { status: 529, type: 'overloaded_error', message: 'Overloaded' } },
        { error: { status: 429, type: 'rate_limit_error', message: 'Slow down', retryAfter: 1 } },
        { content: [{ type: 'text', text: 'Third time lucky.' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('hello')] });
    await t.th.runtime.waitForIdle(s.id);
    const events = await t.events(s.id);
    const errors = events.filter((e) => e.type === 'session.error');
    expect(
      errors.map((e) => e.type === 'session.error' && [e.error.type, e.error.retry_status.type]),
    ).toEqual([
      ['model_overloaded_error', 'retrying'],
      ['model_rate_limited_error', 'retrying'],
    ]);
    const times = (t.fake.requests as { receivedAt: number }[]).map((r) => r.receivedAt);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(900);
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'end_turn' } });
  });

  it('gives up after the retries and goes idle with retries_exhausted', async () => {
    const fail = { error: { status: 500, type: 'api_error', message: 'Internal' } };
    t = await startTestThreadhand({
      script: [fail, fail, fail],
      harness: { maxRetries: 2, retryBaseMs: 10 },
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('hello')] });
    await t.th.runtime.waitForIdle(s.id);
    const events = await t.events(s.id);
    const statuses = events.flatMap((e) => (e.type === 'session.error' ? [e.error.retry_status.type] : []));
    expect(statuses).toEqual(['retrying', 'retrying', 'exhausted']);
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'retries_exhausted' } });
    expect(t.fake.requests).toHaveLength(3);
  });

  it('puts cache breakpoints on tools, system and the newest turn', async () => {
    t = await startTestThreadhand({
      extraTools: [echo()],
      script: [
        { content: [{ type: 'tool_use', name: 'echo', input: { text: 'x' } }] },
        { content: [{ type: 'text', text: 'ok' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await t.th.runtime.waitForIdle(s.id);
    for (const r of t.fake.requests as AnyRequest[]) {
      const body = r.body as {
        system: { cache_control?: unknown }[];
        tools: { cache_control?: unknown }[];
        messages: { content: { cache_control?: unknown }[] }[];
      };
      expect(body.system.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
      expect(body.tools.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
      expect(body.messages.at(-1)?.content.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
      // Only the newest turn carries a message breakpoint (the API allows four in all).
      const marked = body.messages.flatMap((m) => m.content).filter((b) => b.cache_control);
      expect(marked).toHaveLength(1);
    }
  });

  it('recovers a run dropped mid-tool: the call gets an interrupted result, nothing runs twice or repeats', async () => {
    const { tool, state } = gate();
    t = await startTestThreadhand({
      extraTools: [tool],
      script: [
        { content: [{ type: 'tool_use', name: 'gate', input: {} }] },
        { content: [{ type: 'text', text: 'Recovered.' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await until(() => state.started, 5000, 'tool start');
    // Drop the harness mid-tool, as a crash would: no result, no idle.
    t.th.harness.abortAll('shutdown');
    await until(() => t!.th.harness.active().length === 0, 5000, 'run to stop');
    const before = await t.events(s.id);
    expect(before.some((e) => e.type === 'agent.tool_result')).toBe(false);
    expect(before.at(-1)?.type).not.toBe('session.status_idle');

    // Another replica picks the session up from the log.
    await t.th.harness.wake(s.id);
    const events = await t.events(s.id);
    expect(state.runs).toBe(1);
    const use = events.find((e) => e.type === 'agent.tool_use')!;
    const results = events.filter((e) => e.type === 'agent.tool_result');
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ tool_use_id: use.id, is_error: true });
    expect(JSON.stringify(results[0])).toContain('interrupted');
    expect(events.filter((e) => e.type === 'agent.tool_use')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'user.message')).toHaveLength(1);
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'end_turn' } });
    expect(t.fake.requests).toHaveLength(2);
  });

  it('records usage per model request', async () => {
    t = await startTestThreadhand({
      script: [
        {
          content: [{ type: 'text', text: 'hi' }],
          usage: {
            input_tokens: 120,
            output_tokens: 7,
            cache_read_input_tokens: 100,
            cache_creation_input_tokens: 20,
          },
        },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('hello')] });
    await t.th.runtime.waitForIdle(s.id);
    const end = (await t.events(s.id)).find((e) => e.type === 'span.model_request_end');
    expect(end).toMatchObject({
      is_error: false,
      model_usage: {
        input_tokens: 120,
        output_tokens: 7,
        cache_read_input_tokens: 100,
        cache_creation_input_tokens: 20,
      },
    });
  });
});

describe('harness steering while text streams', () => {
  it('a message sent while the answer is still streaming gets its own answer', async () => {
    t = await startTestThreadhand({
      script: [
        { content: [{ type: 'text', text: 'slow answer '.repeat(40) }], chunkSize: 6, chunkDelayMs: 15 },
        { content: [{ type: 'text', text: 'Answer to the follow-up.' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('first question')] });
    await until(() => t!.fake.requests.length > 0, 5000, 'model request');
    await t.th.runtime.send(s.id, [text('and a follow-up')]);
    await until(
      async () =>
        (await t!.events(s.id)).filter((e) => e.type === 'agent.message').length >= 2 &&
        lastIdle(await t!.events(s.id)),
      10_000,
      'second answer',
    );
    expect(t.fake.requests).toHaveLength(2);
    expect(requestText(t.fake.requests[1] as AnyRequest)).toContain('and a follow-up');
  });
});
