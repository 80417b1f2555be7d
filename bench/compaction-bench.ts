/**
 * Long sessions: context size per model request over a scripted 300-tool-call session, with
 * and without compaction, and the time to replay the log (read + rebuild the context).
 */

import { SUMMARY_INSTRUCTION } from '../src/harness/compaction.js';
import { buildMessages } from '../src/harness/context.js';
import { type Tool, textResult } from '../src/tools/types.js';
import type { RecordedRequest } from '../test/fakes/anthropic/server.js';
import { startTestThreadhand } from '../test/helpers/threadhand.js';
import { printTable, round } from './stats.js';

const tool: Tool = {
  name: 'inspect',
  description: 'Returns a chunk of output.',
  input_schema: { type: 'object', properties: { n: { type: 'number' } } },
  kind: 'test',
  permission: 'always_allow',
  run: async (input) => textResult(`result ${String(input.n)}: ${'lorem ipsum dolor sit amet '.repeat(30)}`),
};

const tokensOf = (r: RecordedRequest) => Math.ceil(JSON.stringify(r.body.messages).length / 4);

async function session(turns: number, compaction: boolean) {
  let calls = 0;
  const t = await startTestThreadhand({
    extraTools: [tool],
    agents: [
      {
        name: 'test',
        model: 'claude-sonnet-4-6',
        ...(compaction
          ? { compaction: { enabled: true, threshold_tokens: 20_000, keep_recent_turns: 6 } }
          : {}),
      },
    ],
    script: (request) => {
      const usage = {
        input_tokens: tokensOf(request),
        output_tokens: 30,
        cache_read_input_tokens: 0,
        cache_creation_input_tokens: 0,
      };
      if (JSON.stringify(request.body.messages).includes(SUMMARY_INSTRUCTION)) {
        return {
          content: [
            { type: 'text', text: `Summary: inspected items 1..${calls}; all results were lorem ipsum.` },
          ],
          usage,
          chunkSize: 500,
        };
      }
      if (calls < turns)
        return {
          content: [{ type: 'tool_use', name: 'inspect', input: { n: ++calls } }],
          usage,
          chunkSize: 500,
        };
      return { content: [{ type: 'text', text: 'done' }], usage };
    },
  });
  try {
    const s = await t.th.runtime.createSession({
      initialEvents: [{ type: 'user.message', content: [{ type: 'text', text: `inspect ${turns} items` }] }],
    });
    await t.th.runtime.waitForIdle(s.id, { timeoutMs: 300_000 });
    const requests = t.fake.requests.filter(
      (r) => !JSON.stringify(r.body.messages).includes(SUMMARY_INSTRUCTION),
    );
    const sizes = requests.map(tokensOf);
    const started = performance.now();
    const events = await t.th.stores.log.read(s.id);
    const messages = buildMessages(events);
    const replayMs = performance.now() - started;
    return {
      sizes,
      events: events.length,
      replayMs,
      messages: messages.length,
      summaries: t.fake.requests.length - requests.length,
    };
  } finally {
    await t.close();
  }
}

export async function run(options: { smoke?: boolean } = {}): Promise<Record<string, unknown>> {
  const turns = options.smoke ? 30 : 300;
  const plain = await session(turns, false);
  const compacted = await session(turns, true);
  const at = [1, Math.floor(turns / 4), Math.floor(turns / 2), Math.floor((3 * turns) / 4), turns];
  const rows = at.map((i) => ({
    request: i,
    'tokens without compaction': plain.sizes[i - 1] ?? 0,
    'tokens with compaction': compacted.sizes[i - 1] ?? 0,
    ratio: round((compacted.sizes[i - 1] ?? 0) / Math.max(1, plain.sizes[i - 1] ?? 1)),
  }));
  printTable(
    `Context size per model request, ${turns}-tool-call session (approx. tokens = JSON chars / 4; threshold 20k)`,
    rows,
  );
  printTable('Replay of the log (read + rebuild the model context)', [
    {
      mode: 'without compaction',
      events: plain.events,
      replay_ms: round(plain.replayMs),
      context_messages: plain.messages,
    },
    {
      mode: 'with compaction',
      events: compacted.events,
      replay_ms: round(compacted.replayMs),
      context_messages: compacted.messages,
      summaries: compacted.summaries,
    },
  ]);
  return {
    turns,
    max_tokens_without: Math.max(...plain.sizes),
    max_tokens_with: Math.max(...compacted.sizes),
    summaries: compacted.summaries,
    replay_ms_without: round(plain.replayMs),
    replay_ms_with: round(compacted.replayMs),
    per_request: rows,
  };
}
