/**
 * Every model request and tool call is one structured pino line at info level (what an
 * operator greps or ships to a log store), with timings and tokens but never the inputs,
 * outputs or answers, which may hold secrets.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { type Tool, textResult } from '../../src/tools/types.js';
import { startTestThreadhand, type TestThreadhand, text } from '../helpers/threadhand.js';

let t: TestThreadhand | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const SECRETS = ['INPUT-SECRET-4f1c', 'OUTPUT-SECRET-9b2e', 'ANSWER-SECRET-7d3a', 'FAILED-SECRET-2c8f'];

const lookup: Tool = {
  name: 'lookup',
  description: 'Looks a key up.',
  input_schema: { type: 'object', properties: { key: { type: 'string' } } },
  kind: 'test',
  permission: 'always_allow',
  async run(input) {
    if (input.key === 'missing') return textResult(`no such key (${SECRETS[3]})`, true);
    return textResult(`value: ${SECRETS[1]}`);
  },
};

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}

describe('harness logs', () => {
  it('logs one info line per model request and per tool call, without inputs or outputs', async () => {
    let output = '';
    const logger = createLogger({
      level: 'info',
      destination: {
        write: (line: string) => {
          output += line;
        },
      },
    });
    t = await startTestThreadhand({
      logger,
      extraTools: [lookup],
      script: [
        {
          content: [
            { type: 'tool_use', name: 'lookup', input: { key: SECRETS[0] } },
            { type: 'tool_use', name: 'lookup', input: { key: 'missing' } },
          ],
          usage: { input_tokens: 120, output_tokens: 30, cache_read_input_tokens: 7 },
        },
        {
          content: [{ type: 'text', text: `Found ${SECRETS[2]}.` }],
          usage: { input_tokens: 200, output_tokens: 12 },
        },
      ],
    });
    const s = await t.th.runtime.createSession({ initialEvents: [text('look it up')] });
    await t.th.runtime.waitForIdle(s.id);

    const lines = output
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Line);
    const requests = lines.filter((l) => l.msg === 'model request finished');
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      level: 30,
      sessionId: s.id,
      model: 'claude-test',
      input_tokens: 120,
      output_tokens: 30,
      cache_read_input_tokens: 7,
      stop_reason: 'tool_use',
      is_error: false,
    });
    expect(requests[1]).toMatchObject({
      sessionId: s.id,
      input_tokens: 200,
      output_tokens: 12,
      stop_reason: 'end_turn',
    });
    for (const r of requests) expect(r.duration_ms).toEqual(expect.any(Number));

    const tools = lines.filter((l) => l.msg === 'tool call finished');
    expect(tools).toHaveLength(2);
    expect(tools.map((l) => [l.level, l.sessionId, l.tool, l.is_error])).toEqual([
      [30, s.id, 'lookup', false],
      [30, s.id, 'lookup', true],
    ]);
    for (const l of tools) expect(l.duration_ms).toEqual(expect.any(Number));

    for (const secret of SECRETS) expect(output).not.toContain(secret);
  });
});
