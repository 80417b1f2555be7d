/**
 * Renders a session's log items (stored events and live deltas) for a terminal: text as it
 * streams, one line per tool call, a spinner while the model or a tool works (TTY only),
 * usage and cost when the turn ends. Pure over its `write` function, so it is unit-testable.
 */

import { summarizeToolInput, truncate } from '../chat/core/summary.js';
import type { UsageTotals } from '../chat/core/types.js';
import { formatUsage } from '../chat/core/usage.js';
import { emptyUsage } from '../chat/core/view.js';
import type { SessionEvent, StopReason } from '../events/schema.js';
import type { LogItem } from '../store/types.js';
import type { PriceTable } from '../usage/prices.js';
import { createSpinner, type Spinner, type Style } from './style.js';

export interface RenderOptions {
  write(text: string): void;
  style: Style;
  /** Interactive terminal: enables the spinner. */
  tty: boolean;
  /** Model id, for the cost estimate in the footer. */
  model?: string;
  /** The effective price table for that estimate (default: the shipped one). */
  prices?: PriceTable;
  /** Also show user events (replays, `sessions show`); live runs echo their own input. */
  showUserEvents?: boolean;
  spinner?: Spinner;
}

export interface SessionRenderer {
  handle(item: LogItem): void;
  /** A line from the CLI itself (hints, prompts' outcomes). */
  note(text: string): void;
  /** Usage since the renderer started. */
  usage(): UsageTotals;
  /** Stops the spinner and leaves the cursor on a fresh line. */
  close(): void;
}

interface ToolCall {
  label: string;
  startedAt: string;
  /** Custom tools wait for a person, not for work: no spinner. */
  custom?: boolean;
}

function resultText(content: { type: string; text?: string }[] | undefined): string {
  return (content ?? [])
    .map((b) => (b.type === 'text' ? (b.text ?? '') : `[${b.type}]`))
    .join('\n')
    .trim();
}

function seconds(from: string, to: string): string {
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return '';
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`;
}

export function stopReasonLabel(reason: StopReason): string {
  switch (reason.type) {
    case 'end_turn':
      return 'done';
    case 'requires_action':
      return 'waiting for you';
    case 'retries_exhausted':
      return 'stopped: the model kept failing (retries exhausted)';
    case 'budget_reached':
      return 'stopped: budget reached';
    case 'refusal':
      return 'stopped: the model declined';
  }
}

export function createRenderer(options: RenderOptions): SessionRenderer {
  const { style } = options;
  const spinner = options.spinner ?? createSpinner(options.write, style);
  let atLineStart = true;
  const usage = emptyUsage();
  let turnUsage = emptyUsage();
  /** Message previews in stream order: text already on screen, awaiting their agent.message. */
  const previews: { id: string; text: string }[] = [];
  const thinkingPreviews = new Set<string>();
  const tools = new Map<string, ToolCall>();

  function out(text: string) {
    if (text.length === 0) return;
    if (spinner.active) spinner.stop();
    options.write(text);
    atLineStart = text.endsWith('\n');
  }
  const line = (text: string) => {
    if (!atLineStart) out('\n');
    out(`${text}\n`);
  };
  /** What the spinner says while nothing is being written (model thinking, a tool running). */
  let busyLabel: string | undefined;
  const busy = (label: string | undefined) => {
    busyLabel = label;
    if (!options.tty) return;
    if (label) spinner.start(label);
    else spinner.stop();
  };

  function toolStarted(id: string, label: string, at: string) {
    tools.set(id, { label, startedAt: at });
    busy(label);
  }

  function toolFinished(
    id: string,
    at: string,
    content: { type: string; text?: string }[] | undefined,
    isError: boolean,
  ) {
    const call = tools.get(id);
    tools.delete(id);
    busyLabel = [...tools.values()].filter((t) => !t.custom).at(-1)?.label;
    const text = resultText(content);
    const took = call ? seconds(call.startedAt, at) : '';
    const detail = isError
      ? style.red(truncate(text.split('\n')[0] ?? 'failed', 100))
      : style.dim(
          text ? `${text.split('\n').length} line${text.split('\n').length === 1 ? '' : 's'}` : 'no output',
        );
    const mark = isError ? style.red('✗') : style.green('✓');
    line(`${mark} ${call?.label ?? id}  ${detail}${took ? style.dim(` · ${took}`) : ''}`);
  }

  function finishMessage(text: string) {
    busyLabel = undefined;
    const preview = previews.shift();
    if (!preview) out(text);
    else if (text.startsWith(preview.text)) out(text.slice(preview.text.length));
    else line(text);
    if (!atLineStart) out('\n');
  }

  function addUsage(u: {
    input_tokens: number;
    output_tokens: number;
    cache_read_input_tokens: number;
    cache_creation_input_tokens: number;
  }) {
    for (const totals of [usage, turnUsage]) {
      totals.input_tokens += u.input_tokens;
      totals.output_tokens += u.output_tokens;
      totals.cache_read_input_tokens += u.cache_read_input_tokens;
      totals.cache_creation_input_tokens += u.cache_creation_input_tokens;
      totals.model_requests += 1;
    }
  }
  /** A turn is open (status_running seen, no idle yet): sandbox time reported now is its own. */
  let turnOpen = false;
  function addSandboxSeconds(seconds: number) {
    for (const totals of [usage, turnUsage])
      totals.sandbox_active_seconds = (totals.sandbox_active_seconds ?? 0) + seconds;
  }

  function handleEvent(event: SessionEvent) {
    switch (event.type) {
      case 'user.message':
        if (options.showUserEvents) line(style.bold(`> ${resultText(event.content)}`));
        break;
      case 'user.interrupt':
        line(style.yellow('⏹ interrupted'));
        break;
      case 'user.tool_confirmation':
        if (options.showUserEvents) {
          line(
            style.dim(
              event.result === 'allow'
                ? '  approved'
                : `  denied${event.deny_message ? `: ${event.deny_message}` : ''}`,
            ),
          );
        }
        break;
      case 'user.custom_tool_result':
        toolFinished(event.custom_tool_use_id, event.processed_at, event.content, Boolean(event.is_error));
        break;
      case 'agent.message':
        finishMessage(resultText(event.content));
        break;
      case 'agent.thinking': {
        busyLabel = undefined;
        const first = [...thinkingPreviews][0];
        if (first) thinkingPreviews.delete(first);
        const text = (event.thinking ?? '').replace(/\s+/g, ' ').trim();
        line(style.dim(`✻ ${text ? truncate(text, 100) : 'thinking'}`));
        break;
      }
      case 'agent.tool_use': {
        const label =
          `${style.bold(event.name)} ${summarizeToolInput(event.name, event.input, 80)}`.trimEnd();
        toolStarted(event.id, label, event.processed_at);
        if (event.evaluated_permission === 'ask')
          line(`${style.yellow('?')} ${label}  ${style.yellow('needs approval')}`);
        break;
      }
      case 'agent.mcp_tool_use': {
        const label =
          `${style.bold(`${event.mcp_server_name}/${event.name}`)} ${summarizeToolInput(event.name, event.input, 80)}`.trimEnd();
        toolStarted(event.id, label, event.processed_at);
        if (event.evaluated_permission === 'ask')
          line(`${style.yellow('?')} ${label}  ${style.yellow('needs approval')}`);
        break;
      }
      case 'agent.custom_tool_use': {
        const label =
          `${style.bold(event.name)} ${summarizeToolInput(event.name, event.input, 80)}`.trimEnd();
        tools.set(event.id, { label, startedAt: event.processed_at, custom: true });
        busyLabel = undefined;
        line(`${style.magenta('⚙')} ${label}  ${style.magenta('custom tool: waiting for its result')}`);
        break;
      }
      case 'agent.tool_result':
        toolFinished(event.tool_use_id, event.processed_at, event.content, Boolean(event.is_error));
        break;
      case 'agent.mcp_tool_result':
        toolFinished(event.mcp_tool_use_id, event.processed_at, event.content, Boolean(event.is_error));
        break;
      case 'agent.thread_context_compacted':
        line(style.dim('(earlier context compacted)'));
        break;
      case 'session.error': {
        const { retry_status: retry, message } = event.error;
        if (retry.type === 'retrying') {
          // Text streamed by the failed attempt is not coming back; the retry streams afresh.
          if (previews.length > 0) line(style.dim('…'));
          previews.length = 0;
          line(style.yellow(`⚠ ${message} (retrying)`));
        } else {
          line(style.red(`✗ ${message}`));
        }
        break;
      }
      case 'span.model_request_start':
        busy('thinking…');
        break;
      case 'span.model_request_end':
        addUsage(event.model_usage);
        break;
      case 'session.status_running':
        turnOpen = true;
        break;
      case 'session.status_idle': {
        busy(undefined);
        turnOpen = false;
        if (event.stop_reason.type === 'requires_action') break;
        const label = stopReasonLabel(event.stop_reason);
        const colour = event.stop_reason.type === 'end_turn' ? style.dim : style.yellow;
        const spent =
          turnUsage.model_requests > 0 ? ` · ${formatUsage(turnUsage, options.model, options.prices)}` : '';
        line(colour(`— ${label}${spent}`));
        turnUsage = emptyUsage();
        break;
      }
      case 'session.status_terminated':
        line(style.dim('— session terminated'));
        break;
      case 'span.sandbox_operation':
        // Like the chat footers: a stint reported after the turn (E2B pausing when idle) is not the turn's.
        if (turnOpen && !event.is_error && event.active_seconds !== undefined)
          addSandboxSeconds(event.active_seconds);
        if (event.operation === 'provision' || event.operation === 'recreate' || event.is_error) {
          const took = `${(event.duration_ms / 1000).toFixed(1)}s`;
          const text = `⛶ sandbox ${event.operation} (${event.provider}, ${took})${event.message ? `: ${event.message}` : ''}`;
          line(event.is_error ? style.red(text) : style.dim(text));
        }
        break;
      case 'session.egress_denied':
        line(style.yellow(`⛔ network request to ${event.host} blocked: ${event.reason}`));
        break;
      default:
        break;
    }
  }

  return {
    handle(item) {
      if (item.kind === 'event') {
        handleEvent(item.event);
        // A line written while the model or a tool works removed the spinner: bring it back.
        if (options.tty && busyLabel && !spinner.active) spinner.start(busyLabel);
        return;
      }
      const delta = item.delta;
      if (delta.type === 'event_start') {
        if (delta.event.type === 'agent.message') {
          previews.push({ id: delta.event.id, text: '' });
          if (!atLineStart) out('\n');
        } else {
          thinkingPreviews.add(delta.event.id);
          busy('thinking…');
        }
        return;
      }
      const preview = previews.find((p) => p.id === delta.event_id);
      if (preview) {
        busyLabel = undefined;
        preview.text += delta.delta.content.text;
        out(delta.delta.content.text);
      } else if (tools.has(delta.event_id) && options.tty) {
        const lastLine = delta.delta.content.text.trimEnd().split('\n').pop() ?? '';
        if (lastLine) spinner.detail(lastLine);
      }
    },
    note(text) {
      line(text);
    },
    usage: () => ({ ...usage }),
    close() {
      spinner.stop();
      if (!atLineStart) out('\n');
    },
  };
}
