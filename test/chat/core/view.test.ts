import { describe, expect, it } from 'vitest';
import { createSessionView } from '../../../src/chat/core/view.js';
import { eventId } from '../../../src/events/ids.js';
import type { NewEvent, SessionEvent } from '../../../src/events/schema.js';
import type { LogItem } from '../../../src/store/types.js';

let seq = 0;
const ev = (e: NewEvent): LogItem => ({
  kind: 'event',
  event: { ...e, id: eventId(++seq), processed_at: new Date().toISOString() } as SessionEvent,
});
const usage = {
  input_tokens: 10,
  output_tokens: 5,
  cache_read_input_tokens: 0,
  cache_creation_input_tokens: 0,
};

describe('createSessionView', () => {
  it('streams text, breaks at tool calls, and closes the turn with usage', () => {
    const view = createSessionView();
    const running = ev({ type: 'session.status_running' });
    view.apply(running);
    view.apply({ kind: 'delta', delta: { type: 'event_start', event: { id: 'p1', type: 'agent.message' } } });
    view.apply({
      kind: 'delta',
      delta: {
        type: 'event_delta',
        event_id: 'p1',
        delta: { type: 'content_delta', content: { type: 'text', text: 'Hel' } },
      },
    });
    const turn = view.currentTurn()!;
    expect(turn.items[0]).toMatchObject({ kind: 'text', text: 'Hel', final: false });
    view.apply(ev({ type: 'agent.message', content: [{ type: 'text', text: 'Hello.' }] }));
    const use = ev({ type: 'agent.tool_use', name: 'bash', input: { command: 'ls -la' } });
    view.apply(use);
    expect(turn.items[0]).toMatchObject({ text: 'Hello.', final: true });
    expect(turn.items[1]).toMatchObject({ kind: 'tool', summary: 'ls -la', status: 'running' });
    view.apply({
      kind: 'delta',
      delta: {
        type: 'event_delta',
        event_id: use.kind === 'event' ? use.event.id : '',
        delta: { type: 'content_delta', content: { type: 'text', text: 'out' } },
      },
    });
    expect(turn.items[1]).toMatchObject({ output: 'out' });
    view.apply(
      ev({
        type: 'agent.tool_result',
        tool_use_id: (use as { event: SessionEvent }).event.id,
        content: [{ type: 'text', text: 'a\nexit code: 2' }],
      }),
    );
    expect(turn.items[1]).toMatchObject({ status: 'failed', exitCode: 2 });
    view.apply(ev({ type: 'agent.message', content: [{ type: 'text', text: 'Done.' }] }));
    view.apply(
      ev({
        type: 'span.model_request_end',
        model_request_start_id: 'x',
        is_error: false,
        model_usage: usage,
      }),
    );
    view.apply(ev({ type: 'session.status_idle', stop_reason: { type: 'end_turn' }, stop_details: null }));
    expect(turn.items[2]).toMatchObject({
      kind: 'text',
      text: 'Done.',
      final: true,
      key: `${(running as { event: SessionEvent }).event.id}:t1`,
    });
    expect(turn.state).toBe('idle');
    expect(turn.usage.output_tokens).toBe(5);
  });

  it('marks tools pending on requires_action and binds confirmation to the tool use id', () => {
    const view = createSessionView();
    view.apply(ev({ type: 'session.status_running' }));
    const use = ev({
      type: 'agent.tool_use',
      name: 'bash',
      input: { command: 'rm -rf build' },
      evaluated_permission: 'ask',
    });
    const id = (use as { event: SessionEvent }).event.id;
    view.apply(use);
    view.apply(
      ev({
        type: 'session.status_idle',
        stop_reason: { type: 'requires_action', event_ids: [id] },
        stop_details: null,
      }),
    );
    expect(view.currentTurn()!.pendingApprovals.map((t) => t.toolUseId)).toEqual([id]);
    view.apply(ev({ type: 'user.tool_confirmation', tool_use_id: id, result: 'allow' }));
    expect(view.state.tools.get(id)!.status).toBe('running');
    view.apply(ev({ type: 'session.status_running' }));
    view.apply(ev({ type: 'agent.tool_result', tool_use_id: id, content: [{ type: 'text', text: 'ok' }] }));
    expect(view.state.tools.get(id)!.status).toBe('done');
  });

  it('ignores deltas of a preview it did not see start', () => {
    const view = createSessionView();
    view.apply(ev({ type: 'session.status_running' }));
    const changed = view.apply({
      kind: 'delta',
      delta: {
        type: 'event_delta',
        event_id: 'unseen',
        delta: { type: 'content_delta', content: { type: 'text', text: 'tail' } },
      },
    });
    expect(changed).toBe(false);
    expect(view.currentTurn()!.items).toEqual([]);
  });
});
