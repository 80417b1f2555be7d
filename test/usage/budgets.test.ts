/**
 * Budgets through the harness with the fake model: each limit ends the turn idle with
 * `budget_reached` and tells the user which limit was reached and how to continue.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/events/schema.js';
import { type Tool, textResult } from '../../src/tools/types.js';
import { computeUsage } from '../../src/usage/usage.js';
import { startTestThreadhand, type TestThreadhand, text, until } from '../helpers/threadhand.js';

let t: TestThreadhand | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

let echoRuns = 0;
const echo: Tool = {
  name: 'echo',
  description: 'Echoes its input.',
  input_schema: { type: 'object', properties: { text: { type: 'string' } } },
  kind: 'test',
  permission: 'always_allow',
  async run(input) {
    echoRuns++;
    return textResult(`echo: ${String(input.text)}`);
  },
};

const lastIdle = (events: SessionEvent[]) => events.findLast((e) => e.type === 'session.status_idle');
const lastMessage = (events: SessionEvent[]) => {
  const m = events.findLast((e) => e.type === 'agent.message');
  return m?.type === 'agent.message' ? m.content.map((b) => b.text).join('') : '';
};
const resultTexts = (events: SessionEvent[]) =>
  events.flatMap((e) =>
    e.type === 'agent.tool_result'
      ? [
          {
            error: e.is_error,
            text: (e.content ?? []).map((b) => (b.type === 'text' ? b.text : '')).join(''),
          },
        ]
      : [],
  );

describe('budgets stop at the limit', () => {
  it('runs only the tool calls left in the budget; the rest of the batch is refused and the turn stops', async () => {
    echoRuns = 0;
    t = await startTestThreadhand({
      extraTools: [echo],
      agents: [{ name: 'test', model: 'claude-test', budget: { max_tool_calls: 2 } }],
      script: [
        {
          content: [
            { type: 'tool_use', name: 'echo', input: { text: 'a' } },
            { type: 'tool_use', name: 'echo', input: { text: 'b' } },
            { type: 'tool_use', name: 'echo', input: { text: 'c' } },
          ],
        },
        { content: [{ type: 'text', text: 'after the budget was raised' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('three calls')] });
    await t.th.runtime.waitForIdle(s.id);
    let events = await t.events(s.id);
    expect(echoRuns).toBe(2);
    const results = resultTexts(events);
    expect(results.map((r) => r.error)).toEqual([false, false, true]);
    expect(results[2]?.text).toContain('Not run: the budget was reached.');
    expect(results[2]?.text).toContain('2 of 2 tool calls used (max_tool_calls)');
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'budget_reached' } });
    expect(lastMessage(events)).toContain('Budget reached: 2 of 2 tool calls used (max_tool_calls)');
    expect(lastMessage(events)).toContain(`threadhand sessions budget ${s.id} --max-tool-calls N`);
    expect(t.fake.requests).toHaveLength(1);
    // The refused call never ran, so it is not counted (what `sessions show` reports).
    expect(computeUsage(events, 'claude-test', {}).tool_calls).toBe(2);

    await t.th.stores.log.updateSession(s.id, {
      metadata: { 'threadhand.budget.max_tool_calls': '10' },
    });
    await t.th.runtime.send(s.id, [text('carry on')]);
    await t.th.runtime.waitForIdle(s.id);
    events = await t.events(s.id);
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'end_turn' } });
    expect(lastMessage(events)).toBe('after the budget was raised');
  });

  it('a token budget stops before the next model call', async () => {
    t = await startTestThreadhand({
      extraTools: [echo],
      agents: [{ name: 'test', model: 'claude-test', budget: { max_tokens: 1000 } }],
      script: [
        {
          content: [{ type: 'tool_use', name: 'echo', input: { text: 'x' } }],
          usage: { input_tokens: 900, output_tokens: 300 },
        },
        { content: [{ type: 'text', text: 'never sent' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await t.th.runtime.waitForIdle(s.id);
    const events = await t.events(s.id);
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'budget_reached' } });
    expect(lastMessage(events)).toContain('Budget reached: 1200 of 1000 tokens used (max_tokens)');
    expect(t.fake.requests).toHaveLength(1);
  });

  it('a cost budget stops at the price of the effective price table', async () => {
    const usage = { input_tokens: 1000, output_tokens: 1000 };
    const script = [
      { content: [{ type: 'tool_use' as const, name: 'echo', input: { text: 'x' } }], usage },
      { content: [{ type: 'text' as const, text: 'finished' }], usage },
    ];
    const agents = [{ name: 'test', model: 'claude-sonnet-4-6', budget: { max_cost_usd: 0.01 } }];
    // Shipped price of Sonnet: (1000 * $3 + 1000 * $15) / 1M = $0.018 after the first response.
    t = await startTestThreadhand({ extraTools: [echo], agents, script });
    let s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await t.th.runtime.waitForIdle(s.id);
    let events = await t.events(s.id);
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'budget_reached' } });
    expect(lastMessage(events)).toContain('Budget reached: 0.02 of 0.01 USD used (max_cost_usd)');
    expect(t.fake.requests).toHaveLength(1);
    await t.close();

    // The operator's prices file makes the same tokens cheap: the turn finishes.
    const pricesDir = await mkdtemp(join(tmpdir(), 'threadhand-prices-'));
    const pricesFile = join(pricesDir, 'prices.yaml');
    await writeFile(
      pricesFile,
      'claude-sonnet-4-6: { input: 1, output: 1, cache_read: 0, cache_write: 0 }\n',
    );
    t = await startTestThreadhand({
      extraTools: [echo],
      agents,
      script,
      env: { THREADHAND_PRICES_FILE: pricesFile },
    });
    s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await t.th.runtime.waitForIdle(s.id);
    events = await t.events(s.id);
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'end_turn' } });
    expect(lastMessage(events)).toBe('finished');
    await rm(pricesDir, { recursive: true, force: true });
  });

  it('a wall-time budget stops a tool that is still running when the time is up', async () => {
    let sawAbort = false;
    const slow: Tool = {
      name: 'slow',
      description: 'Takes a long time.',
      input_schema: { type: 'object', properties: {} },
      kind: 'test',
      permission: 'always_allow',
      run: (_input, context) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve(textResult('slow finished')), 8000);
          context.signal.addEventListener('abort', () => {
            sawAbort = true;
            clearTimeout(timer);
            resolve(textResult('aborted'));
          });
        }),
    };
    t = await startTestThreadhand({
      extraTools: [slow],
      agents: [{ name: 'test', model: 'claude-test', budget: { max_wall_seconds: 1 } }],
      script: [
        { content: [{ type: 'tool_use', name: 'slow', input: {} }] },
        { content: [{ type: 'text', text: 'never sent' }] },
      ],
    });
    const started = Date.now();
    const s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await t.th.runtime.waitForIdle(s.id, { timeoutMs: 15_000 });
    const elapsed = Date.now() - started;
    const events = await t.events(s.id);
    const [result] = resultTexts(events);
    expect(result).toMatchObject({ error: true });
    expect(result?.text).toContain('Stopped: Budget reached: 1 of 1 seconds used (max_wall_seconds)');
    expect(sawAbort).toBe(true);
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'budget_reached' } });
    expect(lastMessage(events)).toContain('Budget reached: 1 of 1 seconds used (max_wall_seconds)');
    expect(t.fake.requests).toHaveLength(1);
    expect(elapsed).toBeLessThan(6000);
  });

  it('a wall-time budget aborts a model answer that is still streaming when the time is up', async () => {
    t = await startTestThreadhand({
      agents: [{ name: 'test', model: 'claude-test', budget: { max_wall_seconds: 1 } }],
      // The answer starts, then the stream never finishes.
      script: [{ content: [{ type: 'text', text: 'Let me think about this' }], hang: true }],
    });
    const started = Date.now();
    const s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await t.th.runtime.waitForIdle(s.id, { timeoutMs: 15_000 });
    const elapsed = Date.now() - started;
    const events = await t.events(s.id);
    expect(lastIdle(events)).toMatchObject({ stop_reason: { type: 'budget_reached' } });
    expect(lastMessage(events)).toContain('Budget reached: 1 of 1 seconds used (max_wall_seconds)');
    // What was streamed before the stop is kept; the request was cut off, not left open.
    const messages = events.flatMap((e) =>
      e.type === 'agent.message' ? [e.content.map((b) => b.text).join('')] : [],
    );
    expect(messages[0]).toBe('Let me think about this');
    expect(t.fake.requests).toHaveLength(1);
    await until(() => t?.fake.requests[0]?.aborted, 5000, 'the model request to be closed');
    expect(events.filter((e) => e.type === 'span.model_request_end')).toMatchObject([{ is_error: true }]);
    expect(elapsed).toBeLessThan(6000);
  });
});

describe('budget on the API session object', () => {
  it('shows the cost ceiling in `budget` and every limit under `threadhand.budget`', async () => {
    t = await startTestThreadhand({
      agents: [{ name: 'default', model: 'claude-test', budget: { max_tool_calls: 40 } }],
      http: { host: '127.0.0.1', port: 0 },
      env: { THREADHAND_API_KEYS: 'budget-key' },
    });
    const client = new Anthropic({ baseURL: t.th.http?.url as string, apiKey: 'budget-key', maxRetries: 0 });
    const capped = await client.beta.sessions.create({
      agent: 'default',
      environment_id: 'default',
      metadata: { 'threadhand.budget.max_cost_usd': '2.5', 'threadhand.budget.max_wall_seconds': '600' },
    });
    const read = await client.beta.sessions.retrieve(capped.id);
    expect(read.budget).toEqual({ type: 'limit', max_list_cost: { amount: '250', currency: 'USD' } });
    expect((read as unknown as { threadhand: { budget: unknown } }).threadhand.budget).toEqual({
      max_tool_calls: 40,
      max_cost_usd: 2.5,
      max_wall_seconds: 600,
    });
    const plain = await client.beta.sessions.create({ agent: 'default', environment_id: 'default' });
    const plainRead = await client.beta.sessions.retrieve(plain.id);
    expect(plainRead.budget).toBeNull();
    expect((plainRead as unknown as { threadhand: { budget: unknown } }).threadhand.budget).toEqual({
      max_tool_calls: 40,
    });
  });
});
