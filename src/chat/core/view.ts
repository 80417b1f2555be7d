/**
 * `createSessionView`: a pure reducer from log items (durable events and live deltas) to the
 * `SessionViewState` renderers draw. Deterministic for the durable part: two renderers that
 * applied the same events produce the same item keys, which is what makes rendering
 * resumable after a restart.
 */
import type { SessionEvent, StreamDelta } from '../../events/schema.js';
import type { LogItem } from '../../store/types.js';
import { parseExitCode, summarizeToolInput, tail } from './summary.js';
import type { SessionViewState, TextItem, ToolItem, TurnView, UsageTotals } from './types.js';

export interface SessionView {
  readonly state: SessionViewState;
  /** Applies one log item; returns true when anything a renderer shows changed. */
  apply(item: LogItem): boolean;
  /** The newest turn, if any. */
  currentTurn(): TurnView | undefined;
}

export interface SessionViewOptions {
  /** Characters of tool output kept (the tail). Default 1500. */
  outputTail?: number;
}

interface TurnInternals {
  breaks: number;
  /** A `user.interrupt` came in this turn: failing tools were stopped, not broken. */
  interrupted: boolean;
  /** A user message came while text was streaming: break once that text is final. */
  breakAfterPreview: boolean;
  /** Finished `agent.message` texts of the current text item. */
  parts: string[];
  preview: { id: string; text: string } | null;
}

export function emptyUsage(): UsageTotals {
  return {
    input_tokens: 0,
    output_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation_input_tokens: 0,
    model_requests: 0,
    sandbox_active_seconds: null,
  };
}

export function createSessionView(options: SessionViewOptions = {}): SessionView {
  const outputTail = options.outputTail ?? 1500;
  const state: SessionViewState = {
    turns: [],
    tools: new Map(),
    activity: { kind: 'idle' },
    lastEventId: null,
    eventCount: 0,
    ended: false,
  };
  const internals = new Map<string, TurnInternals>();

  const openTurn = (turnId: string): TurnView => {
    const turn: TurnView = {
      turnId,
      items: [],
      state: 'running',
      stopReason: null,
      endEventId: null,
      usage: emptyUsage(),
      error: null,
      pendingApprovals: [],
    };
    state.turns.push(turn);
    internals.set(turnId, {
      breaks: 0,
      interrupted: false,
      breakAfterPreview: false,
      parts: [],
      preview: null,
    });
    return turn;
  };

  const current = (): TurnView | undefined => state.turns[state.turns.length - 1];
  /** The running turn, opening an implicit one when agent output comes without a status event. */
  const runningTurn = (eventId: string): TurnView => {
    const turn = current();
    return turn && turn.state === 'running' ? turn : openTurn(eventId);
  };

  const textItem = (turn: TurnView): TextItem | undefined => {
    const inner = internals.get(turn.turnId)!;
    const key = `${turn.turnId}:t${inner.breaks}`;
    const last = turn.items[turn.items.length - 1];
    return last?.kind === 'text' && last.key === key ? last : undefined;
  };

  const refreshText = (turn: TurnView): void => {
    const inner = internals.get(turn.turnId)!;
    const pieces = [...inner.parts];
    if (inner.preview && inner.preview.text.length > 0) pieces.push(inner.preview.text);
    const text = pieces.join('\n\n');
    if (text.length === 0) return;
    const existing = textItem(turn);
    if (existing) existing.text = text;
    else turn.items.push({ kind: 'text', key: `${turn.turnId}:t${inner.breaks}`, text, final: false });
  };

  const breakText = (turn: TurnView): void => {
    const inner = internals.get(turn.turnId)!;
    const item = textItem(turn);
    if (item) item.final = true;
    inner.breaks += 1;
    inner.parts = [];
    inner.preview = null;
    inner.breakAfterPreview = false;
  };

  const endTurn = (turn: TurnView, event: SessionEvent): void => {
    const item = textItem(turn);
    if (item) item.final = true;
    const inner = internals.get(turn.turnId);
    if (inner) inner.preview = null;
    turn.endEventId = event.id;
    state.activity = { kind: 'idle' };
  };

  const addTool = (event: SessionEvent & { name: string; input: Record<string, unknown> }): void => {
    const turn = runningTurn(event.id);
    breakText(turn);
    const tool: ToolItem = {
      kind: 'tool',
      key: event.id,
      toolUseId: event.id,
      name: event.name,
      input: event.input,
      summary: summarizeToolInput(event.name, event.input),
      status: 'running',
      output: '',
      revision: 0,
    };
    turn.items.push(tool);
    state.tools.set(event.id, tool);
    state.activity = { kind: 'tool', name: tool.name, summary: tool.summary };
  };

  const finishTool = (
    id: string,
    content: Array<{ type: string; text?: string }> | undefined,
    isError: boolean | null | undefined,
  ): void => {
    const tool = state.tools.get(id);
    if (!tool) return;
    const text = (content ?? [])
      .map((block) => (block.type === 'text' ? (block.text ?? '') : `[${block.type}]`))
      .join('\n');
    tool.output = tail(text, outputTail);
    tool.exitCode = parseExitCode(text) ?? tool.exitCode;
    const turn = current();
    const interrupted = turn ? internals.get(turn.turnId)?.interrupted === true : false;
    if (tool.status !== 'denied') {
      const failed = isError || (tool.exitCode !== undefined && tool.exitCode !== 0);
      tool.status = failed ? (interrupted ? 'interrupted' : 'failed') : 'done';
    }
    tool.revision += 1;
    state.activity = { kind: 'thinking' };
  };

  const applyEvent = (event: SessionEvent): boolean => {
    state.lastEventId = event.id;
    state.eventCount += 1;
    switch (event.type) {
      case 'session.status_running': {
        const turn = current();
        if (turn && turn.state === 'running') endTurn(turn, event);
        openTurn(event.id);
        state.activity = { kind: 'thinking' };
        return true;
      }
      case 'user.interrupt': {
        const turn = current();
        const inner = turn ? internals.get(turn.turnId) : undefined;
        if (inner && turn?.state === 'running') inner.interrupted = true;
        return false;
      }
      case 'user.message': {
        const turn = current();
        if (turn?.state !== 'running') return false;
        // Text still streaming belongs before the break; its durable event comes later.
        const inner = internals.get(turn.turnId)!;
        if (inner.preview) inner.breakAfterPreview = true;
        else breakText(turn);
        return false;
      }
      case 'agent.message': {
        const turn = runningTurn(event.id);
        const inner = internals.get(turn.turnId)!;
        const text = event.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
        inner.preview = null;
        if (text.length > 0) inner.parts.push(text);
        refreshText(turn);
        if (inner.breakAfterPreview) breakText(turn);
        return true;
      }
      case 'agent.thinking':
      case 'span.model_request_start':
        if (current()?.state === 'running') state.activity = { kind: 'thinking' };
        return true;
      case 'agent.tool_use':
      case 'agent.mcp_tool_use':
      case 'agent.custom_tool_use':
        addTool(event);
        return true;
      case 'agent.tool_result':
        finishTool(event.tool_use_id, event.content, event.is_error);
        return true;
      case 'agent.mcp_tool_result':
        finishTool(event.mcp_tool_use_id, event.content, event.is_error);
        return true;
      case 'user.custom_tool_result':
        finishTool(event.custom_tool_use_id, event.content, event.is_error);
        return true;
      case 'user.tool_confirmation': {
        const tool = state.tools.get(event.tool_use_id);
        if (!tool) return false;
        tool.status = event.result === 'allow' ? 'running' : 'denied';
        tool.revision += 1;
        for (const turn of state.turns) {
          turn.pendingApprovals = turn.pendingApprovals.filter((t) => t.toolUseId !== event.tool_use_id);
        }
        return true;
      }
      case 'span.model_request_end': {
        const turn = current();
        if (!turn) return false;
        const usage = event.model_usage;
        turn.usage.input_tokens += usage.input_tokens;
        turn.usage.output_tokens += usage.output_tokens;
        turn.usage.cache_read_input_tokens += usage.cache_read_input_tokens;
        turn.usage.cache_creation_input_tokens += usage.cache_creation_input_tokens;
        turn.usage.model_requests += 1;
        return false;
      }
      case 'span.sandbox_operation': {
        // A stint reported after the turn ended (E2B pausing when idle) is not the turn's.
        const turn = current();
        if (turn?.state !== 'running' || event.is_error || event.active_seconds === undefined) return false;
        turn.usage.sandbox_active_seconds = (turn.usage.sandbox_active_seconds ?? 0) + event.active_seconds;
        return false;
      }
      case 'session.error': {
        const turn = current();
        if (turn) turn.error = event.error.message;
        return true;
      }
      case 'session.status_idle': {
        const turn = current();
        if (turn?.state !== 'running') return false;
        turn.state = 'idle';
        turn.stopReason = event.stop_reason;
        if (event.stop_reason.type === 'requires_action') {
          for (const id of event.stop_reason.event_ids) {
            const tool = state.tools.get(id);
            if (tool?.status !== 'running') continue;
            tool.status = 'pending_approval';
            tool.revision += 1;
            turn.pendingApprovals.push(tool);
          }
        }
        for (const tool of state.tools.values()) {
          if (tool.status === 'running' && event.stop_reason.type !== 'requires_action') {
            tool.status = 'interrupted';
            tool.revision += 1;
          }
        }
        endTurn(turn, event);
        return true;
      }
      case 'session.deleted':
        state.ended = true;
        return true;
      case 'session.status_terminated': {
        state.ended = true;
        const turn = current();
        if (turn && turn.state === 'running') {
          turn.state = 'terminated';
          endTurn(turn, event);
        }
        return true;
      }
      default:
        return false;
    }
  };

  const applyDelta = (delta: StreamDelta): boolean => {
    const turn = current();
    if (turn?.state !== 'running') return false;
    const inner = internals.get(turn.turnId)!;
    if (delta.type === 'event_start') {
      if (delta.event.type === 'agent.message') {
        inner.preview = { id: delta.event.id, text: '' };
        state.activity = { kind: 'writing' };
      } else {
        state.activity = { kind: 'thinking' };
      }
      return true;
    }
    const text = delta.delta.content.text;
    if (inner.preview && delta.event_id === inner.preview.id) {
      inner.preview.text += text;
      refreshText(turn);
      return true;
    }
    const tool = state.tools.get(delta.event_id);
    if (tool && tool.status === 'running') {
      tool.output = tail(tool.output + text, outputTail);
      tool.revision += 1;
      return true;
    }
    // A delta of a preview whose start we did not see (joined mid-stream): wait for the
    // durable event instead of showing a fragment.
    return false;
  };

  return {
    state,
    currentTurn: current,
    apply(item) {
      return item.kind === 'event' ? applyEvent(item.event) : applyDelta(item.delta);
    },
  };
}
