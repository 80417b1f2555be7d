import { afterEach, describe, expect, it } from 'vitest';
import { SUMMARY_INSTRUCTION } from '../../src/harness/compaction.js';
import { type Tool, textResult } from '../../src/tools/types.js';
import { budgetLimits } from '../../src/usage/budget.js';
import { DEFAULT_PRICES } from '../../src/usage/prices.js';
import { renderTrace, traceSpans } from '../../src/usage/trace.js';
import { computeUsage } from '../../src/usage/usage.js';
import type { RecordedRequest } from '../fakes/anthropic/server.js';
import { startTestThreadhand, type TestThreadhand, text } from '../helpers/threadhand.js';

let t: TestThreadhand | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const echo: Tool = {
  name: 'echo',
  description: 'Echoes its input.',
  input_schema: { type: 'object', properties: { text: { type: 'string' } } },
  kind: 'test',
  permission: 'always_allow',
  async run(input) {
    return textResult(`echo: ${String(input.text)} ${'output '.repeat(20)}`);
  },
};

const TASK = 'TASK-7f3a: call echo 300 times, numbering each call';
const isSummaryRequest = (r: RecordedRequest) =>
  JSON.stringify(r.body.messages).includes(SUMMARY_INSTRUCTION);
const approxTokens = (r: RecordedRequest) => Math.ceil(JSON.stringify(r.body.messages).length / 4);

describe('long sessions', () => {
  it('a 300-tool-call session compacts, continues, and keeps the task and the newest turns', async () => {
    let calls = 0;
    t = await startTestThreadhand({
      extraTools: [echo],
      agents: [
        {
          name: 'test',
          model: 'claude-sonnet-4-6',
          compaction: { enabled: true, threshold_tokens: 6000, keep_recent_turns: 4 },
        },
      ],
      script: (request) => {
        const usage = {
          input_tokens: approxTokens(request),
          output_tokens: 20,
          cache_read_input_tokens: 0,
          cache_creation_input_tokens: 0,
        };
        if (isSummaryRequest(request))
          return { content: [{ type: 'text', text: `SUMMARY: ${calls} echo calls done so far.` }], usage };
        if (calls < 300) {
          calls++;
          return { content: [{ type: 'tool_use', name: 'echo', input: { text: `call-${calls}` } }], usage };
        }
        return { content: [{ type: 'text', text: 'All 300 calls done.' }], usage };
      },
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text(TASK)] });
    await t.th.runtime.waitForIdle(s.id, { timeoutMs: 120_000 });
    const events = await t.events(s.id);
    expect(events.findLast((e) => e.type === 'session.status_idle')).toMatchObject({
      stop_reason: { type: 'end_turn' },
    });
    expect(events.filter((e) => e.type === 'agent.tool_result')).toHaveLength(300);

    const compactions = events.filter((e) => e.type === 'agent.thread_context_compacted');
    expect(compactions.length).toBeGreaterThan(1);
    const requests = t.fake.requests;
    const firstSummary = requests.findIndex(isSummaryRequest);
    const before = requests[firstSummary - 1]!;
    const after = requests[firstSummary + 1]!;
    expect(approxTokens(after)).toBeLessThan(approxTokens(before));
    const afterText = JSON.stringify(after.body.messages);
    expect(afterText).toContain(TASK);
    expect(afterText).toContain('SUMMARY:');
    // The newest turns stay verbatim: the tool call just before the compaction is still there.
    const lastCallBefore = JSON.stringify(before.body.messages)
      .match(/call-(\d+)/g)
      ?.at(-1);
    expect(afterText).toContain(lastCallBefore);
    // Requests never grow without bound: every non-summary request stays near the threshold.
    const biggest = Math.max(...requests.filter((r) => !isSummaryRequest(r)).map(approxTokens));
    expect(biggest).toBeLessThan(6000 * 1.5);
    // System prompt and tools are unchanged by compaction, so the cached prefix survives.
    expect(JSON.stringify(after.body.system)).toBe(JSON.stringify(before.body.system));
    expect(JSON.stringify(after.body.tools)).toBe(JSON.stringify(before.body.tools));
  });

  it('cache reads reported by the model reach the usage totals, and costs follow the price table', async () => {
    const usage = {
      input_tokens: 1000,
      output_tokens: 500,
      cache_read_input_tokens: 20_000,
      cache_creation_input_tokens: 3000,
    };
    t = await startTestThreadhand({
      extraTools: [echo],
      agents: [{ name: 'test', model: 'claude-sonnet-4-6' }],
      script: [
        { content: [{ type: 'tool_use', name: 'echo', input: { text: 'a' } }], usage },
        { content: [{ type: 'text', text: 'done' }], usage },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await t.th.runtime.waitForIdle(s.id);
    const totals = computeUsage(await t.events(s.id), 'claude-sonnet-4-6', DEFAULT_PRICES);
    expect(totals).toMatchObject({
      input_tokens: 2000,
      output_tokens: 1000,
      cache_read_input_tokens: 40_000,
      cache_creation_input_tokens: 6000,
      model_requests: 2,
      tool_calls: 1,
    });
    // Sonnet 4.6: $3 in, $15 out, $0.30 cache read, $3.75 cache write per million tokens.
    const expected = (2000 * 3 + 1000 * 15 + 40_000 * 0.3 + 6000 * 3.75) / 1_000_000;
    expect(totals.cost_usd).toBeCloseTo(expected, 10);
    const custom = computeUsage(await t.events(s.id), 'claude-sonnet-4-6', {
      'claude-sonnet': { input: 1, output: 1, cache_read: 1, cache_write: 1 },
    });
    expect(custom.cost_usd).toBeCloseTo(49_000 / 1_000_000, 10);
  });

  it('a tool-call budget stops at exactly the limit with budget_reached, and a raised budget continues', async () => {
    let n = 0;
    t = await startTestThreadhand({
      extraTools: [echo],
      agents: [{ name: 'test', model: 'claude-test', budget: { max_tool_calls: 5 } }],
      script: () =>
        n++ < 8
          ? { content: [{ type: 'tool_use', name: 'echo', input: { text: `#${n}` } }] }
          : { content: [{ type: 'text', text: 'finished' }] },
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('loop')] });
    await t.th.runtime.waitForIdle(s.id);
    let events = await t.events(s.id);
    expect(events.filter((e) => e.type === 'agent.tool_use')).toHaveLength(5);
    expect(events.filter((e) => e.type === 'agent.tool_result')).toHaveLength(5);
    expect(events.at(-1)).toMatchObject({
      type: 'session.status_idle',
      stop_reason: { type: 'budget_reached' },
    });
    const notice = events.findLast((e) => e.type === 'agent.message');
    expect(JSON.stringify(notice)).toContain('5 of 5 tool calls');

    // Raise the limit on the session and continue.
    await t.th.stores.log.updateSession(s.id, {
      metadata: { ...s.metadata, 'threadhand.budget.max_tool_calls': '100' },
    });
    expect(
      budgetLimits((await t.th.catalog.getAgent('test'))!.config, {
        'threadhand.budget.max_tool_calls': '100',
      }).max_tool_calls,
    ).toBe(100);
    await t.th.runtime.send(s.id, [text('carry on')]);
    await t.th.runtime.waitForIdle(s.id);
    events = await t.events(s.id);
    expect(events.filter((e) => e.type === 'agent.tool_result')).toHaveLength(8);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
  });

  it('the trace lists runs, model requests and tool calls in order', async () => {
    t = await startTestThreadhand({
      extraTools: [echo],
      script: [
        { content: [{ type: 'tool_use', name: 'echo', input: { text: 'traced' } }] },
        { content: [{ type: 'text', text: 'ok' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await t.th.runtime.waitForIdle(s.id);
    const spans = traceSpans(await t.events(s.id));
    expect(spans.map((x) => `${x.kind}:${x.name}`)).toEqual([
      'run:run',
      'model:model request',
      'tool:echo',
      'model:model request',
    ]);
    for (const span of spans) expect(span.endMs).toBeGreaterThanOrEqual(span.startMs);
    const out = renderTrace(spans);
    expect(out.split('\n')).toHaveLength(5);
    expect(out).toContain('echo');
    expect(out).toMatch(/run\s+0ms/);
  });

  it('a huge tool output is clipped with a marker in the model request but kept whole in the log', async () => {
    const head = 'HEAD-'.repeat(20_000); // 100,000 characters: exactly what the context keeps
    const tail = 'TAIL-9c41 '.repeat(5000); // 50,000 characters past the limit
    const big: Tool = {
      name: 'big',
      description: 'Prints a lot.',
      input_schema: { type: 'object', properties: {} },
      kind: 'test',
      permission: 'always_allow',
      async run() {
        return textResult(head + tail);
      },
    };
    t = await startTestThreadhand({
      extraTools: [big],
      script: [
        { content: [{ type: 'tool_use', name: 'big', input: {} }] },
        { content: [{ type: 'text', text: 'read it' }] },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('go')] });
    await t.th.runtime.waitForIdle(s.id);

    const result = (await t.events(s.id)).find((e) => e.type === 'agent.tool_result');
    const logged = result?.type === 'agent.tool_result' ? result.content?.[0] : undefined;
    expect(logged).toEqual({ type: 'text', text: head + tail });

    const sent = JSON.stringify(t.fake.requests[1]?.body.messages);
    expect(sent).toContain(
      `${head}\\n[... 50000 characters clipped from the context; the full output is in the session log]`,
    );
    expect(sent).not.toContain('TAIL-9c41');
  });
});
