import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/threadhand.js';
import { ALICE, CHANNEL, fakeBash, gatedBash, type SlackHarness, startSlackHarness } from './harness.js';
import { sessionOf, threadText } from './util.js';

let h: SlackHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const paragraph = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `Paragraph ${i + 1}: the quick brown fox jumps over the lazy dog.`,
  ).join('\n\n');

/** Text of the bot's answer messages in the thread, in order (no root, no cards, no footer). */
const answerText = (h: SlackHarness, root: string) =>
  h.slack
    .thread(CHANNEL, root)
    .filter(
      (m) =>
        m.ts !== root &&
        m.blocks.every((b) => (b as { type: string }).type === 'context') &&
        !m.text.includes(' in · '),
    )
    .map((m) => m.text)
    .join('');

describe('slack: rendering', () => {
  it('the end-of-turn footer shows tokens and the estimated cost for a priced model', async () => {
    h = await startSlackHarness({
      agents: [{ name: 'coder', model: 'claude-sonnet-4-6' }],
      script: [
        {
          content: [{ type: 'text', text: 'All green.' }],
          usage: { input_tokens: 1200, output_tokens: 80 },
        },
      ],
    });
    const root = await h.say(ALICE, 'is the build green?');
    const footer = await until(
      () => h!.slack.thread(CHANNEL, root).find((m) => h!.slack.visibleText(m).includes(' in · ')),
      10_000,
      'the footer',
    );
    expect(h.t.fake.requests[0]!.body.model).toBe('claude-sonnet-4-6');
    // Shipped claude-sonnet-4 list price: 1,200 × $3/M + 80 × $15/M = $0.0048.
    expect(h.slack.visibleText(footer)).toContain('1,200 in · 80 out · $0.0048');
  });

  it('streaming refused -> the answer is posted and then updated in place', async () => {
    const text = paragraph(6);
    h = await startSlackHarness({
      script: [{ content: [{ type: 'text', text }], chunkDelayMs: 10 }],
      slack: { refuseStreaming: 'feature_not_enabled' },
    });
    const root = await h.say(ALICE, 'write something');
    const sessionId = await sessionOf(h, root);
    await h.t.th.runtime.waitForIdle(sessionId, { timeoutMs: 10_000 });
    await until(() => threadText(h!, root).includes(' in · '), 5000, 'the footer');
    await h.service.settled();
    const posted = h.slack.thread(CHANNEL, root).filter((m) => m.ts !== root);
    expect(posted[0]!.text.startsWith(text)).toBe(true);
    expect(posted[0]!.updates).toBeGreaterThan(0);
    expect(h.slack.callsOf('chat.startStream').every((c) => !c.ok)).toBe(true);
    // Refused once, the workspace is remembered as non-streaming.
    expect(h.slack.callsOf('chat.startStream')).toHaveLength(1);
  });

  it('a 429 from Slack is retried after Retry-After and nothing is lost', async () => {
    h = await startSlackHarness({
      tools: [fakeBash()],
      script: [
        {
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', name: 'bash', input: { command: 'ls' } },
          ],
        },
        { content: [{ type: 'text', text: paragraph(3) }], chunkDelayMs: 5 },
      ],
    });
    h.slack.rateLimit('chat.postMessage', 1, 1);
    h.slack.rateLimit('chat.startStream', 1, 1);
    const root = await h.say(ALICE, 'go');
    await until(() => threadText(h!, root).includes(' in · '), 15_000, 'the footer');
    await h.service.settled();
    const limited = h.slack.calls.filter((c) => c.status === 429);
    expect(limited.map((c) => c.method).sort()).toEqual(['chat.postMessage', 'chat.startStream']);
    for (const hit of limited) {
      const retry = h.slack.calls.find((c) => c.method === hit.method && c.ok && c.at > hit.at)!;
      expect(retry.at - hit.at).toBeGreaterThanOrEqual(950);
    }
    expect(threadText(h, root)).toContain('Checking.');
    expect(threadText(h, root)).toContain('ls');
    expect(answerText(h, root)).toContain(paragraph(3));
    expect(h.service.stats.rateLimited).toBe(2);
  });

  it('a stream past the size limit continues in a new message, nothing lost or repeated', async () => {
    const text = paragraph(30);
    h = await startSlackHarness({
      script: [{ content: [{ type: 'text', text }], chunkDelayMs: 1, chunkSize: 40 }],
      config: { render: { messageMaxChars: 500 } },
    });
    const root = await h.say(ALICE, 'write a lot');
    await until(() => threadText(h!, root).includes(' in · '), 15_000, 'the footer');
    await h.service.settled();
    const answers = h.slack
      .thread(CHANNEL, root)
      .filter((m) => m.ts !== root && m.streamStartedAt !== undefined);
    expect(answers.length).toBeGreaterThanOrEqual(Math.ceil(text.length / 500));
    expect(answers.every((m) => m.text.length <= 500 && !m.streaming)).toBe(true);
    expect(answers.map((m) => m.text).join('')).toBe(text);
  });

  it('a stream older than the age limit continues in a new message', async () => {
    const text = paragraph(8);
    h = await startSlackHarness({
      script: [{ content: [{ type: 'text', text }], chunkDelayMs: 15, chunkSize: 8 }],
      config: { render: { streamMaxAgeMs: 400 } },
      slack: { streamMaxAgeMs: 600 },
    });
    const root = await h.say(ALICE, 'write slowly');
    await until(() => threadText(h!, root).includes(' in · '), 20_000, 'the footer');
    await h.service.settled();
    const answers = h.slack
      .thread(CHANNEL, root)
      .filter((m) => m.ts !== root && m.streamStartedAt !== undefined);
    expect(answers.length).toBeGreaterThan(1);
    expect(answers.map((m) => m.text).join('')).toBe(text);
  });

  it('first words are visible as soon as the first delta arrives', async () => {
    h = await startSlackHarness({
      script: [
        {
          content: [{ type: 'text', text: `Hi${'. and more'.repeat(40)}` }],
          chunkDelayMs: 200,
          chunkSize: 2,
        },
      ],
    });
    await h.say(ALICE, 'hello');
    const first = await until(() => h!.slack.callsOf('chat.startStream')[0], 5000, 'the stream to start');
    expect(first.args.markdown_text).toBe('Hi');
  });

  it('a turn that shows nothing for a while gets one "still working" notice', async () => {
    const tool = gatedBash();
    h = await startSlackHarness({
      tools: [tool],
      script: [
        { content: [{ type: 'tool_use', name: 'bash', input: { command: 'make' } }] },
        { content: [{ type: 'text', text: 'Built.' }] },
      ],
      config: { render: { stillWorkingMs: 300 } },
    });
    const root = await h.say(ALICE, 'build');
    await until(() => threadText(h!, root).includes('Still working'), 5000, 'the notice');
    await new Promise((r) => setTimeout(r, 700));
    expect(h.slack.thread(CHANNEL, root).filter((m) => m.text.includes('Still working'))).toHaveLength(1);
    tool.release();
    await until(() => threadText(h!, root).includes('Built.'), 5000, 'the answer');
  });
});
