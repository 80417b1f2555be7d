/**
 * Compaction is on out of the box: an agent with no `compaction` block is summarised once its
 * prompt reaches 150,000 tokens, instead of running into the model's window; `enabled: false`
 * turns it off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SUMMARY_INSTRUCTION } from '../../src/harness/compaction.js';
import { type Tool, textResult } from '../../src/tools/types.js';
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
    return textResult(`echo: ${String(input.text)}`);
  },
};

const isSummary = (r: RecordedRequest) => JSON.stringify(r.body.messages).includes(SUMMARY_INSTRUCTION);

/**
 * Eight tool turns whose reported prompt grows by 25k tokens each (the model's own count) and
 * shrinks back once a summary replaced the older turns.
 */
async function run(agent: Record<string, unknown>) {
  let calls = 0;
  let sinceSummary = 0;
  t = await startTestThreadhand({
    extraTools: [echo],
    agents: [{ name: 'test', model: 'claude-sonnet-4-6', ...agent }],
    script: (request) => {
      const usage = {
        input_tokens: 25_000 * (sinceSummary + 1),
        output_tokens: 20,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      };
      if (isSummary(request)) {
        sinceSummary = 0;
        return { content: [{ type: 'text', text: 'SUMMARY so far.' }], usage };
      }
      if (calls < 8) {
        calls++;
        sinceSummary++;
        return { content: [{ type: 'tool_use', name: 'echo', input: { text: `call-${calls}` } }], usage };
      }
      return { content: [{ type: 'text', text: 'Done.' }], usage };
    },
  });
  const s = await t.th.runtime.createSession({ initialEvents: [text('call echo eight times')] });
  await t.th.runtime.waitForIdle(s.id, { timeoutMs: 20_000 });
  return { events: await t.events(s.id), requests: t.fake.requests };
}

describe('compaction by default', () => {
  it('an agent without a compaction block is summarised once the prompt reaches 150k tokens', async () => {
    const { events, requests } = await run({});
    expect(requests.filter(isSummary)).toHaveLength(1);
    const compacted = events.filter((e) => e.type === 'agent.thread_context_compacted');
    expect(compacted).toHaveLength(1);
    // The first request reported at or over 150k is the sixth (6 x 25k): compaction comes after it.
    const summaryAt = requests.findIndex(isSummary);
    expect(summaryAt).toBe(6);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
  });

  it('compaction: {enabled: false} never summarises', async () => {
    const { events, requests } = await run({ compaction: { enabled: false } });
    expect(requests.filter(isSummary)).toHaveLength(0);
    expect(events.some((e) => e.type === 'agent.thread_context_compacted')).toBe(false);
  });
});
