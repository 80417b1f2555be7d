/**
 * Follows a session live until its turn ends: renders (or prints JSON), answers
 * `requires_action` on a terminal, turns Ctrl-C into `user.interrupt` (twice: quit).
 */
import { summarizeToolInput } from '../chat/core/summary.js';
import type { SessionEvent, StopReason, UserEventParams } from '../events/schema.js';
import type { Runtime } from '../runtime/types.js';
import { type CliIo, EXIT, PromptInterrupted } from './io.js';
import type { SessionRenderer } from './render.js';
import type { Style } from './style.js';

export interface StreamSessionOptions {
  runtime: Runtime;
  sessionId: string;
  /** Follow events after this id (the session's last event before `send`). */
  after?: string;
  /** Sent once following has begun. */
  send?: UserEventParams[];
  renderer: SessionRenderer;
  io: CliIo;
  style: Style;
  /** Ask the person at the terminal for approvals and custom tool results. */
  interactive: boolean;
  /** Print stored events as JSON lines instead of rendering. */
  json?: boolean;
}

export type PendingEvent = Extract<
  SessionEvent,
  { type: 'agent.tool_use' | 'agent.mcp_tool_use' | 'agent.custom_tool_use' }
>;

export interface StreamOutcome {
  stop: StopReason | { type: 'terminated' } | { type: 'detached' };
  interrupted: boolean;
  pending: PendingEvent[];
}

const isPending = (e: SessionEvent): e is PendingEvent =>
  e.type === 'agent.tool_use' || e.type === 'agent.mcp_tool_use' || e.type === 'agent.custom_tool_use';

export function exitCodeOf(outcome: StreamOutcome): number {
  if (outcome.stop.type === 'detached') return EXIT.interrupted;
  if (outcome.interrupted) return EXIT.interrupted;
  if (outcome.stop.type === 'end_turn') return EXIT.ok;
  if (outcome.stop.type === 'requires_action') return EXIT.needsAction;
  return EXIT.failed;
}

/** What to type to answer pending events from another shell. */
export function pendingHint(sessionId: string, pending: PendingEvent[]): string {
  const lines = ['The session is waiting for you:'];
  for (const e of pending) {
    const what = `${e.name} ${summarizeToolInput(e.name, e.input, 60)}`.trim();
    if (e.type === 'agent.custom_tool_use') {
      lines.push(
        `  custom tool ${what}`,
        `    threadhand sessions respond ${sessionId} ${e.id} --result "<result text>" [--error]`,
      );
    } else {
      lines.push(
        `  approve ${what}`,
        `    threadhand sessions respond ${sessionId} ${e.id} --allow   (or --deny "<why>")`,
      );
    }
  }
  return lines.join('\n');
}

async function ask(options: StreamSessionOptions, pending: PendingEvent[]): Promise<UserEventParams[]> {
  const { io, style } = options;
  const answers: UserEventParams[] = [];
  for (const e of pending) {
    if (e.type === 'agent.custom_tool_use') {
      // The card shows the input cut to one line; a person answering needs all of it.
      const input = JSON.stringify(e.input);
      if (input.length > 80)
        io.stdout.write(
          `${style.dim('  input:')} ${JSON.stringify(e.input, null, 2).replace(/\n/g, '\n  ')}\n`,
        );
      const text = await io.prompt(`Result for ${e.name} (start with "!" to report an error): `);
      const isError = text.startsWith('!');
      answers.push({
        type: 'user.custom_tool_result',
        custom_tool_use_id: e.id,
        content: [{ type: 'text', text: isError ? text.slice(1).trim() : text }],
        is_error: isError,
      });
    } else {
      const what = `${e.name} ${summarizeToolInput(e.name, e.input, 200)}`.trim();
      const answer = (await io.prompt(`${style.yellow('?')} Allow ${style.bold(what)}? [y/N] `))
        .trim()
        .toLowerCase();
      if (answer === 'y' || answer === 'yes') {
        answers.push({ type: 'user.tool_confirmation', tool_use_id: e.id, result: 'allow' });
      } else {
        const why = (await io.prompt('Tell the agent why (optional): ')).trim();
        answers.push({
          type: 'user.tool_confirmation',
          tool_use_id: e.id,
          result: 'deny',
          deny_message: why || null,
        });
      }
    }
  }
  return answers;
}

export async function streamSession(options: StreamSessionOptions): Promise<StreamOutcome> {
  const { runtime, sessionId, renderer, io } = options;
  const log = runtime.stores.log;
  const detach = new AbortController();
  let interrupted = false;
  const interrupt = () => {
    if (detach.signal.aborted) return;
    if (interrupted) {
      detach.abort();
      return;
    }
    interrupted = true;
    if (!options.json) renderer.note(options.style.yellow('Interrupting… (Ctrl-C again to quit)'));
    runtime.send(sessionId, [{ type: 'user.interrupt' }]).catch((error: unknown) => {
      renderer.note(options.style.red(`Could not interrupt: ${String(error)}`));
    });
  };
  const stopListening = io.onInterrupt(interrupt);
  const seen = new Map<string, PendingEvent>();
  try {
    const items = log.follow(sessionId, {
      after: options.after,
      deltas: !options.json,
      signal: detach.signal,
    });
    if (options.send && options.send.length > 0)
      await runtime.send(sessionId, options.send, { platform: 'cli', user_id: 'cli' });
    for await (const item of items) {
      if (item.kind === 'delta') {
        renderer.handle(item);
        continue;
      }
      const event = item.event;
      if (options.json) io.stdout.write(`${JSON.stringify(event)}\n`);
      else renderer.handle(item);
      if (isPending(event)) seen.set(event.id, event);
      if (event.type === 'session.status_terminated')
        return { stop: { type: 'terminated' }, interrupted, pending: [] };
      if (event.type !== 'session.status_idle') continue;
      if (event.stop_reason.type !== 'requires_action')
        return { stop: event.stop_reason, interrupted, pending: [] };

      const ids = event.stop_reason.event_ids;
      if (ids.some((id) => !seen.has(id))) {
        for (const e of await log.read(sessionId)) if (isPending(e)) seen.set(e.id, e);
      }
      const pending = ids.map((id) => seen.get(id)).filter((e): e is PendingEvent => e !== undefined);
      if (!options.interactive || interrupted) return { stop: event.stop_reason, interrupted, pending };
      try {
        const answers = await ask(options, pending);
        await runtime.send(sessionId, answers, { platform: 'cli', user_id: 'cli' });
      } catch (error) {
        if (error instanceof PromptInterrupted)
          return { stop: event.stop_reason, interrupted: true, pending };
        throw error;
      }
    }
    return { stop: { type: 'detached' }, interrupted, pending: [] };
  } catch (error) {
    if (detach.signal.aborted) return { stop: { type: 'detached' }, interrupted, pending: [] };
    throw error;
  } finally {
    stopListening();
    renderer.close();
  }
}
