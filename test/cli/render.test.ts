import { describe, expect, it } from 'vitest';
import { createRenderer } from '../../src/cli/render.js';
import { createStyle, type Spinner } from '../../src/cli/style.js';
import type { SessionEvent } from '../../src/events/schema.js';
import type { LogItem } from '../../src/store/types.js';

let seq = 0;
const at = (ms: number) => new Date(Date.UTC(2026, 10, 25, 12, 0, 0, ms)).toISOString();
function ev(event: Record<string, unknown>, ms = 0): LogItem {
  seq++;
  return {
    kind: 'event',
    event: {
      id: `sevt_${String(seq).padStart(12, '0')}abcdefgh`,
      processed_at: at(ms),
      ...event,
    } as SessionEvent,
  };
}
const start = (id: string, type: 'agent.message' | 'agent.thinking' = 'agent.message'): LogItem => ({
  kind: 'delta',
  delta: { type: 'event_start', event: { id, type } },
});
const delta = (id: string, text: string): LogItem => ({
  kind: 'delta',
  delta: {
    type: 'event_delta',
    event_id: id,
    delta: { type: 'content_delta', content: { type: 'text', text } },
  },
});
const usage = (input: number, output: number, cacheRead = 0) => ({
  input_tokens: input,
  output_tokens: output,
  cache_read_input_tokens: cacheRead,
  cache_creation_input_tokens: 0,
});

function recordingSpinner(log: string[]): Spinner {
  let active = false;
  return {
    start: (label) => {
      active = true;
      log.push(`spin:${label}`);
    },
    detail: (text) => log.push(`detail:${text}`),
    stop: () => {
      if (active) log.push('spin:stop');
      active = false;
    },
    get active() {
      return active;
    },
  };
}

function render(
  items: LogItem[],
  options: { tty?: boolean; showUserEvents?: boolean; spinnerLog?: string[] } = {},
) {
  let out = '';
  const chunks: string[] = [];
  const r = createRenderer({
    write: (s) => {
      out += s;
      chunks.push(s);
    },
    style: createStyle(false),
    tty: options.tty ?? false,
    model: 'claude-sonnet-4-6',
    showUserEvents: options.showUserEvents,
    spinner: options.spinnerLog ? recordingSpinner(options.spinnerLog) : undefined,
  });
  for (const item of items) r.handle(item);
  r.close();
  return { out, chunks, usage: r.usage() };
}

describe('terminal renderer', () => {
  it('writes text as deltas arrive and does not repeat it when the message is stored', () => {
    const { out, chunks } = render([
      ev({ type: 'session.status_running' }),
      ev({ type: 'span.model_request_start' }),
      start('p1'),
      delta('p1', 'Hello, '),
      delta('p1', 'world.'),
      ev({ type: 'agent.message', content: [{ type: 'text', text: 'Hello, world.' }] }),
      ev({
        type: 'span.model_request_end',
        model_request_start_id: 'x',
        is_error: false,
        model_usage: usage(1000, 20),
      }),
      ev({ type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null }),
    ]);
    expect(chunks).toContain('Hello, ');
    expect(chunks).toContain('world.');
    expect(out).toBe('Hello, world.\n— done · 1,000 in · 20 out · $0.0033\n');
  });

  it('prints a stored message whole when no deltas were seen, and the missing tail when some were', () => {
    const { out } = render([
      ev({ type: 'agent.message', content: [{ type: 'text', text: 'No deltas here.' }] }),
      start('p2'),
      delta('p2', 'Partial'),
      ev({ type: 'agent.message', content: [{ type: 'text', text: 'Partial and the rest.' }] }),
    ]);
    expect(out).toBe('No deltas here.\nPartial and the rest.\n');
  });

  it('shows each tool call as one line card with its outcome', () => {
    const { out } = render([
      ev(
        {
          type: 'agent.tool_use',
          name: 'bash',
          input: { command: 'npm test' },
          evaluated_permission: 'allow',
        },
        0,
      ),
      ev(
        {
          type: 'agent.tool_result',
          tool_use_id: `sevt_${String(seq).padStart(12, '0')}abcdefgh`,
          content: [{ type: 'text', text: 'ok\n3 passed' }],
        },
        1500,
      ),
      ev({ type: 'agent.tool_use', name: 'read', input: { file_path: 'missing.txt' } }, 2000),
      ev(
        {
          type: 'agent.tool_result',
          tool_use_id: `sevt_${String(seq).padStart(12, '0')}abcdefgh`,
          is_error: true,
          content: [{ type: 'text', text: 'ENOENT: no such file\nmore' }],
        },
        2040,
      ),
    ]);
    expect(out).toBe('✓ bash npm test  2 lines · 1.5s\n✗ read missing.txt  ENOENT: no such file · 40ms\n');
  });

  it('marks tools that need approval and custom tools waiting for a result', () => {
    const { out } = render([
      ev({
        type: 'agent.tool_use',
        name: 'bash',
        input: { command: 'rm -rf build' },
        evaluated_permission: 'ask',
      }),
      ev({ type: 'agent.custom_tool_use', name: 'lookup', input: { city: 'Oslo' } }),
      ev({
        type: 'session.status_idle',
        stop_reason: { type: 'requires_action', event_ids: ['a', 'b'] },
        stop_details: null,
      }),
    ]);
    expect(out).toBe(
      '? bash rm -rf build  needs approval\n⚙ lookup {"city":"Oslo"}  custom tool: waiting for its result\n',
    );
  });

  it('on a TTY spins while the model thinks and while a tool runs, showing its output', () => {
    const spinnerLog: string[] = [];
    const { out } = render(
      [
        ev({ type: 'span.model_request_start' }),
        ev({ type: 'agent.tool_use', name: 'bash', input: { command: 'make' } }),
        ev({
          type: 'span.sandbox_operation',
          operation: 'provision',
          provider: 'local',
          duration_ms: 1200,
          is_error: false,
        }),
        delta(`sevt_${String(seq - 1).padStart(12, '0')}abcdefgh`, 'compiling foo.c\nlinking'),
        ev({
          type: 'agent.tool_result',
          tool_use_id: `sevt_${String(seq - 1).padStart(12, '0')}abcdefgh`,
          content: [],
        }),
      ],
      { tty: true, spinnerLog },
    );
    // The sandbox line interrupts the spinner; it comes back for the still-running tool.
    expect(spinnerLog).toEqual([
      'spin:thinking…',
      'spin:bash make',
      'spin:stop',
      'spin:bash make',
      'detail:linking',
      'spin:stop',
    ]);
    expect(out).toBe('⛶ sandbox provision (local, 1.2s)\n✓ bash make  no output · 0ms\n');
  });

  it('shows retries, drops the failed attempt, and reports failure stop reasons with usage', () => {
    const { out, usage: total } = render([
      start('p3'),
      delta('p3', 'Half a'),
      ev({
        type: 'session.error',
        error: {
          type: 'model_overloaded_error',
          message: 'The model is overloaded',
          retry_status: { type: 'retrying' },
        },
      }),
      ev({
        type: 'session.error',
        error: { type: 'model_overloaded_error', message: 'Gave up', retry_status: { type: 'exhausted' } },
      }),
      ev({
        type: 'span.model_request_end',
        model_request_start_id: 'x',
        is_error: true,
        model_usage: usage(10, 0),
      }),
      ev({ type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' }, stop_details: null }),
    ]);
    expect(out).toBe(
      'Half a\n…\n⚠ The model is overloaded (retrying)\n✗ Gave up\n— stopped: the model kept failing (retries exhausted) · 10 in · 0 out · $0.0000\n',
    );
    expect(total.model_requests).toBe(1);
  });

  it('in replays shows user input, approvals and interrupts; thinking is one dim line', () => {
    const { out } = render(
      [
        ev({ type: 'user.message', content: [{ type: 'text', text: 'fix the bug' }] }),
        ev({ type: 'agent.thinking', thinking: 'The bug is\nin parse()' }),
        ev({ type: 'user.tool_confirmation', tool_use_id: 'x', result: 'deny', deny_message: 'not now' }),
        ev({ type: 'user.interrupt' }),
      ],
      { showUserEvents: true },
    );
    expect(out).toBe('> fix the bug\n✻ The bug is in parse()\n  denied: not now\n⏹ interrupted\n');
  });
});
