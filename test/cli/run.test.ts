import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fakes/anthropic/server.js';
import { createTestIo, createWorkspace, until } from './helpers.js';

let fake: FakeAnthropic;
let ws: Awaited<ReturnType<typeof createWorkspace>>;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  fake = await startFakeAnthropic({ apiKey: 'sk-test' });
  ws = await createWorkspace();
  env = {
    ANTHROPIC_API_KEY: 'sk-test',
    ANTHROPIC_BASE_URL: fake.url,
    THREADHAND_AGENTS_DIR: ws.agentsDir,
    THREADHAND_DATA_DIR: ws.dataDir,
    PATH: process.env.PATH,
  };
});
afterEach(async () => {
  await fake.close();
  await ws.cleanup();
});

const text = (t: string) => ({
  content: [{ type: 'text' as const, text: t }],
  usage: {
    input_tokens: 1200,
    output_tokens: 80,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
  },
});

describe('threadhand run', () => {
  it('streams the answer, ends with usage and cost, exits 0', async () => {
    fake.setScript([text('The answer is forty-two, streamed in small pieces.')]);
    const t = createTestIo(env);
    const code = await runCli(['run', 'what is the answer?'], t.io);
    expect(t.err()).toBe('');
    expect(code).toBe(0);
    expect(t.out()).toMatch(/^session sesn_\S+ · agent tester · env default\n/);
    expect(t.out()).toContain('The answer is forty-two, streamed in small pieces.\n');
    expect(t.out()).toContain('— done · 1,200 in · 80 out');
    expect(fake.requests[0]?.body.messages[0].content).toEqual([
      expect.objectContaining({ type: 'text', text: 'what is the answer?' }),
    ]);
  });

  it('leaves the chat front doors to threadhand start', async () => {
    fake.setScript([text('No bots were started.')]);
    // A Slack token without its secret would stop `start`; a Discord login would fail here.
    const t = createTestIo({
      ...env,
      SLACK_BOT_TOKEN: 'xoxb-1',
      DISCORD_TOKEN: 'x',
      DISCORD_API_URL: 'http://127.0.0.1:9/api',
    });
    expect(await runCli(['run', 'hi'], t.io)).toBe(0);
    expect(t.err()).toBe('');
    expect(t.out()).toContain('No bots were started.');
  });

  it('prints each stored event as JSON; sessions show --json prints the same events', async () => {
    fake.setScript([text('json mode')]);
    const run = createTestIo(env);
    expect(await runCli(['run', '--json', 'hi'], run.io)).toBe(0);
    const lines = run.out().trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as { type: string; id: string });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'user.message',
        'session.status_running',
        'span.model_request_start',
        'agent.message',
        'span.model_request_end',
        'session.status_idle',
      ]),
    );
    const ls = createTestIo(env);
    expect(await runCli(['sessions', 'ls', '--json'], ls.io)).toBe(0);
    const sessionId = (JSON.parse(ls.out().trim()) as { id: string }).id;
    const show = createTestIo(env);
    expect(await runCli(['sessions', 'show', sessionId, '--json'], show.io)).toBe(0);
    expect(show.out().trim().split('\n')).toEqual(lines);
  });

  it('round-trips a custom tool interactively on a terminal', async () => {
    fake.setScript([
      {
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', name: 'lookup_weather', input: { city: 'Lisbon' } },
        ],
      },
      text('It is sunny in Lisbon.'),
    ]);
    const t = createTestIo({ ...env, NO_COLOR: '1' }, { tty: true, answers: ['sunny, 24C'] });
    const code = await runCli(['run', 'weather in Lisbon?'], t.io);
    expect(code).toBe(0);
    expect(t.prompts[0]).toContain('Result for lookup_weather');
    expect(t.out()).toContain('⚙ lookup_weather {"city":"Lisbon"}  custom tool: waiting for its result\n');
    expect(t.out()).toMatch(/✓ lookup_weather \{"city":"Lisbon"\} {2}1 line · \d+ms\n/);
    expect(t.out()).toContain('It is sunny in Lisbon.');
    const second = fake.requests[1]?.body.messages.at(-1);
    expect(JSON.stringify(second)).toContain('sunny, 24C');
  });

  it('without a terminal, a pending custom tool exits 3 with a hint; sessions respond finishes it', async () => {
    fake.setScript([
      { content: [{ type: 'tool_use', name: 'lookup_weather', input: { city: 'Oslo' } }] },
      text('Cold in Oslo.'),
    ]);
    const t = createTestIo(env);
    expect(await runCli(['run', 'weather in Oslo?'], t.io)).toBe(3);
    expect(t.out()).toContain('⚙ lookup_weather {"city":"Oslo"}  custom tool: waiting for its result');
    const hint = t.err();
    const match = /threadhand sessions respond (sesn_\S+) (sevt_\S+) --result/.exec(hint);
    expect(match).not.toBeNull();
    const respond = createTestIo(env);
    const code = await runCli(
      ['sessions', 'respond', match?.[1] ?? '', match?.[2] ?? '', '--result', 'minus five'],
      respond.io,
    );
    expect(respond.err()).toBe('');
    expect(code).toBe(0);
    expect(respond.out()).toContain('Cold in Oslo.');
    expect(JSON.stringify(fake.requests[1]?.body.messages)).toContain('minus five');
  });

  it('asks for approval of always_ask tools; a denial reaches the model', async () => {
    fake.setScript([
      { content: [{ type: 'tool_use', name: 'bash', input: { command: 'rm -rf /tmp/x' } }] },
      text('Understood, I will not delete it.'),
    ]);
    const t = createTestIo({ ...env, NO_COLOR: '1' }, { tty: true, answers: ['n', 'too dangerous'] });
    expect(await runCli(['run', 'clean up'], t.io)).toBe(0);
    expect(t.prompts[0]).toContain('Allow');
    expect(t.prompts[0]).toContain('rm -rf /tmp/x');
    expect(JSON.stringify(fake.requests[1]?.body.messages)).toContain('too dangerous');
    expect(t.out()).toContain('Understood, I will not delete it.');
  });

  it('Ctrl-C interrupts the running turn and exits 130; the session is kept', async () => {
    fake.setScript([{ content: [{ type: 'text', text: 'Working on it' }], hang: true }]);
    const t = createTestIo(env);
    const running = runCli(['run', 'long task'], t.io);
    await until(() => t.out().includes('Working on it'));
    const started = Date.now();
    t.interrupt();
    const code = await running;
    expect(code).toBe(130);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(t.out()).toContain('Interrupting');
    expect(t.err()).toMatch(/threadhand sessions send sesn_/);
    await until(() => fake.requests[0]?.aborted);
  });

  it('sessions send continues a session with its history; ls, show and replay render it', async () => {
    fake.setScript([text('First answer.'), text('Second answer.')]);
    const first = createTestIo(env);
    expect(await runCli(['run', 'first question'], first.io)).toBe(0);
    const sessionId = /session (sesn_\S+)/.exec(first.out())?.[1] ?? '';
    const send = createTestIo(env);
    expect(await runCli(['sessions', 'send', sessionId, 'second', 'question'], send.io)).toBe(0);
    expect(send.out()).toContain('Second answer.');
    expect(fake.requests[1]?.body.messages.map((m: { role: string }) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
    ]);

    const ls = createTestIo(env);
    await runCli(['sessions', 'ls'], ls.io);
    expect(ls.out()).toMatch(new RegExp(`${sessionId}\\s+idle\\s+tester\\s+\\d+`));
    expect(ls.out()).toContain('first question');

    const show = createTestIo(env);
    await runCli(['sessions', 'show', sessionId], show.io);
    expect(show.out()).toContain('agent    tester v1 (claude-test)');
    expect(show.out()).toMatch(/agent\.message\s+Second answer\./);

    const replay = createTestIo(env);
    await runCli(['sessions', 'replay', sessionId, '--speed', '0'], replay.io);
    const out = replay.out();
    expect(out.indexOf('> first question')).toBeLessThan(out.indexOf('First answer.'));
    expect(out.indexOf('First answer.')).toBeLessThan(out.indexOf('> second question'));
    expect(out).toContain('Second answer.');
  });
});
