import type { Command } from 'commander';
import { summarizeToolInput, truncate } from '../../chat/core/summary.js';
import type { SessionEvent } from '../../events/schema.js';
import type { SessionRecord } from '../../store/types.js';
import type { PriceTable } from '../../usage/prices.js';
import { computeUsage, formatSandboxTime } from '../../usage/usage.js';
import { type GlobalOptions, withThreadhand } from '../context.js';
import { CliError, type CliIo, EXIT } from '../io.js';
import { createRenderer, stopReasonLabel } from '../render.js';
import { modelOf, requireSession } from '../session-helpers.js';
import { createStyle, type Style, wantsColor } from '../style.js';
import { registerSessionInput } from './sessions-send.js';
import { registerSessionTrace } from './sessions-trace.js';

function statusOf(s: SessionRecord): string {
  if (s.status === 'idle' && s.stop_reason && s.stop_reason.type !== 'end_turn')
    return `idle (${s.stop_reason.type})`;
  return s.status;
}

function text(content: { type: string; text?: string }[] | undefined): string {
  return (content ?? []).map((b) => (b.type === 'text' ? (b.text ?? '') : `[${b.type}]`)).join(' ');
}

/** One line describing an event, for `sessions show`. */
export function describeEvent(e: SessionEvent): string {
  const one = (s: string) => truncate(s.replace(/\s+/g, ' ').trim(), 120);
  switch (e.type) {
    case 'user.message':
    case 'agent.message':
      return one(text(e.content));
    case 'agent.thinking':
      return one(e.thinking ?? '');
    case 'agent.tool_use':
    case 'agent.custom_tool_use':
    case 'agent.mcp_tool_use':
      return one(`${e.name} ${summarizeToolInput(e.name, e.input, 100)}`);
    case 'agent.tool_result':
      return one(`${e.is_error ? 'error ' : ''}for ${e.tool_use_id}: ${text(e.content)}`);
    case 'agent.mcp_tool_result':
      return one(`${e.is_error ? 'error ' : ''}for ${e.mcp_tool_use_id}: ${text(e.content)}`);
    case 'user.custom_tool_result':
      return one(`${e.is_error ? 'error ' : ''}for ${e.custom_tool_use_id}: ${text(e.content)}`);
    case 'user.tool_confirmation':
      return one(`${e.result} ${e.tool_use_id}${e.deny_message ? `: ${e.deny_message}` : ''}`);
    case 'session.status_idle':
      return stopReasonLabel(e.stop_reason);
    case 'session.error':
      return one(`${e.error.type} (${e.error.retry_status.type}): ${e.error.message}`);
    case 'span.model_request_end': {
      const u = e.model_usage;
      return `${u.input_tokens} in · ${u.output_tokens} out · ${u.cache_read_input_tokens} cache read · ${u.cache_creation_input_tokens} cache write`;
    }
    case 'span.sandbox_operation':
      return `${e.is_error ? 'error ' : ''}${e.operation} ${e.provider}${e.active_seconds !== undefined ? ` · ${e.active_seconds}s active` : ''}`;
    default:
      return '';
  }
}

function header(
  s: SessionRecord,
  events: SessionEvent[],
  model: string | undefined,
  prices: PriceTable,
  style: Style,
): string {
  const u = computeUsage(events, model ?? '', prices);
  const n = (x: number) => x.toLocaleString('en-US');
  const cost =
    u.cost_usd === null
      ? 'cost unknown'
      : `$${u.cost_usd < 0.01 ? u.cost_usd.toFixed(4) : u.cost_usd.toFixed(2)}`;
  const plural = (x: number, what: string) => `${x} ${what}${x === 1 ? '' : 's'}`;
  return [
    `${style.bold(s.id)}${s.title ? `  ${s.title}` : ''}`,
    `  status   ${statusOf(s)}`,
    `  agent    ${s.agent_id} v${s.agent_version}${model ? ` (${model})` : ''}`,
    `  env      ${s.environment_id}`,
    `  created  ${s.created_at}   updated ${s.updated_at}`,
    `  events   ${s.event_count}`,
    `  usage    ${n(u.input_tokens)} in · ${n(u.output_tokens)} out · ${n(u.cache_read_input_tokens)} cache read · ${n(u.cache_creation_input_tokens)} cache write · ${cost} (${plural(u.model_requests, 'model request')}, ${plural(u.tool_calls, 'tool call')})`,
    `  time     ${u.active_seconds}s running · ${formatSandboxTime(u.sandbox)}`,
    '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function registerSessions(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const sessions = program.command('sessions').description('List, inspect, replay and continue sessions');
  const readOnly = { role: 'front' as const };
  const globalsOf = (command: Command) => command.optsWithGlobals<GlobalOptions>();
  const style = () => createStyle(wantsColor(io.stdout.isTTY, io.env));

  sessions
    .command('ls')
    .description('List sessions, newest first')
    .option('-n, --limit <n>', 'how many', '20')
    .option('--all', 'include archived sessions')
    .option('--json', 'one session per line as JSON')
    .action(async (opts: { limit: string; all?: boolean; json?: boolean }, command: Command) => {
      await withThreadhand(io, globalsOf(command), readOnly, async (th) => {
        const limit = Math.max(1, Number.parseInt(opts.limit, 10) || 20);
        const page = await th.stores.log.listSessions({
          limit,
          order: 'desc',
          includeArchived: Boolean(opts.all),
        });
        if (opts.json) {
          for (const s of page.data) io.stdout.write(`${JSON.stringify(s)}\n`);
          return;
        }
        if (page.data.length === 0) {
          io.stdout.write('No sessions yet. Start one with: threadhand run "your task"\n');
          return;
        }
        const rows = page.data.map((s) => [
          s.id,
          statusOf(s),
          s.agent_id,
          String(s.event_count),
          s.updated_at.slice(0, 19).replace('T', ' '),
          s.title ?? '',
        ]);
        const head = ['ID', 'STATUS', 'AGENT', 'EVENTS', 'UPDATED (UTC)', 'TITLE'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
        const fmt = (r: string[]) =>
          r.map((c, i) => (i === r.length - 1 ? truncate(c, 60) : c.padEnd(widths[i] ?? 0))).join('  ');
        io.stdout.write(`${style().bold(fmt(head))}\n${rows.map(fmt).join('\n')}\n`);
        if (page.next) io.stdout.write(style().dim(`(more: --limit ${limit * 2})\n`));
      });
    });

  sessions
    .command('show')
    .description('Show a session: a summary and one line per event, or every event as JSON')
    .argument('<id>', 'session id (sesn_...)')
    .option('--json', 'print every stored event as one JSON line (the exact log)')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      await withThreadhand(io, globalsOf(command), readOnly, async (th) => {
        const session = await requireSession(th, id);
        const events = await th.stores.log.read(id);
        if (opts.json) {
          for (const e of events) io.stdout.write(`${JSON.stringify(e)}\n`);
          return;
        }
        const s = style();
        io.stdout.write(header(session, events, await modelOf(th, session), th.prices, s));
        for (const e of events) {
          const time = e.processed_at.slice(11, 23);
          io.stdout.write(`${s.dim(time)}  ${e.type.padEnd(26)} ${describeEvent(e)}\n`);
        }
      });
    });

  sessions
    .command('replay')
    .description('Re-render a session from its log as it looked live')
    .argument('<id>', 'session id (sesn_...)')
    .option('--speed <factor>', 'playback speed; 0 = instant (default: 1 on a terminal, else 0)')
    .action(async (id: string, opts: { speed?: string }, command: Command) => {
      await withThreadhand(io, globalsOf(command), readOnly, async (th) => {
        const session = await requireSession(th, id);
        const events = await th.stores.log.read(id);
        const speed = opts.speed !== undefined ? Number(opts.speed) : io.stdout.isTTY ? 1 : 0;
        if (!Number.isFinite(speed) || speed < 0)
          throw new CliError('--speed must be a number >= 0, e.g. 2 or 0 for instant.', EXIT.config);
        const renderer = createRenderer({
          write: (t) => void io.stdout.write(t),
          style: style(),
          tty: false,
          model: await modelOf(th, session),
          prices: th.prices,
          showUserEvents: true,
        });
        let previous: string | undefined;
        for (const e of events) {
          if (speed > 0 && previous)
            await sleep(
              Math.min(1000, Math.max(0, Date.parse(e.processed_at) - Date.parse(previous))) / speed,
            );
          previous = e.processed_at;
          if (speed > 0 && e.type === 'agent.message') {
            const preview = `replay_${e.id}`;
            renderer.handle({
              kind: 'delta',
              delta: { type: 'event_start', event: { id: preview, type: 'agent.message' } },
            });
            for (const piece of text(e.content).match(/[\s\S]{1,12}/g) ?? []) {
              renderer.handle({
                kind: 'delta',
                delta: {
                  type: 'event_delta',
                  event_id: preview,
                  delta: { type: 'content_delta', content: { type: 'text', text: piece } },
                },
              });
              await sleep(15 / speed);
            }
          }
          renderer.handle({ kind: 'event', event: e });
        }
        renderer.close();
      });
    });

  registerSessionInput(sessions, io, setExit);
  registerSessionTrace(sessions, io);
}
