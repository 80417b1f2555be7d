import type { Command } from 'commander';
import type { UserEventParams } from '../../events/schema.js';
import type { Threadhand } from '../../main.js';
import { RuntimeError } from '../../runtime/runtime.js';
import { type GlobalOptions, withThreadhand } from '../context.js';
import { CliError, type CliIo, EXIT } from '../io.js';
import { createRenderer } from '../render.js';
import { modelOf, requireSession } from '../session-helpers.js';
import { exitCodeOf, pendingHint, streamSession } from '../stream.js';
import { createStyle, wantsColor } from '../style.js';

async function sendAndStream(
  th: Threadhand,
  io: CliIo,
  id: string,
  events: UserEventParams[],
  json: boolean,
): Promise<number> {
  const session = await requireSession(th, id);
  if (session.status === 'terminated')
    throw new CliError(`Session ${id} is terminated; start a new one with threadhand run.`, EXIT.failed);
  const style = createStyle(wantsColor(io.stdout.isTTY, io.env));
  const renderer = createRenderer({
    write: (t) => void io.stdout.write(t),
    style,
    tty: Boolean(io.stdout.isTTY),
    model: await modelOf(th, session),
  });
  try {
    const outcome = await streamSession({
      runtime: th.runtime,
      sessionId: id,
      after: session.last_event_id ?? undefined,
      send: events,
      renderer,
      io,
      style,
      interactive: !json && io.stdinIsTTY && Boolean(io.stdout.isTTY),
      json,
    });
    if (outcome.stop.type === 'requires_action') io.stderr.write(`${pendingHint(id, outcome.pending)}\n`);
    return exitCodeOf(outcome);
  } catch (error) {
    if (error instanceof RuntimeError) throw new CliError(error.message, EXIT.failed);
    throw error;
  }
}

interface RespondOptions {
  allow?: boolean;
  deny?: string | boolean;
  result?: string;
  error?: boolean;
  json?: boolean;
}

export function registerSessionInput(sessions: Command, io: CliIo, setExit: (code: number) => void): void {
  const globalsOf = (command: Command) => command.optsWithGlobals<GlobalOptions>();

  sessions
    .command('send')
    .description('Send a message to a session and stream the answer (steers it if it is running)')
    .argument('<id>', 'session id (sesn_...)')
    .argument('<message...>', 'the message')
    .option('--json', 'print every stored event as one JSON line instead of rendering')
    .action(async (id: string, words: string[], opts: { json?: boolean }, command: Command) => {
      const message = words.join(' ').trim();
      if (!message) throw new CliError('Give the message as an argument.', EXIT.config);
      const code = await withThreadhand(io, globalsOf(command), { role: 'worker' }, (th) =>
        sendAndStream(
          th,
          io,
          id,
          [{ type: 'user.message', content: [{ type: 'text', text: message }] }],
          Boolean(opts.json),
        ),
      );
      setExit(code);
    });

  sessions
    .command('respond')
    .description('Answer a pending approval or custom tool call, then stream the rest of the turn')
    .argument('<id>', 'session id (sesn_...)')
    .argument('<event-id>', 'the pending agent.tool_use / agent.custom_tool_use event id')
    .option('--allow', 'approve the tool call')
    .option('--deny [message]', 'deny the tool call (the agent sees the message)')
    .option('--result <text>', 'the result of a custom tool call')
    .option('--error', 'report the custom tool result as an error')
    .option('--json', 'print every stored event as one JSON line instead of rendering')
    .action(async (id: string, eventId: string, opts: RespondOptions, command: Command) => {
      const chosen = [opts.allow, opts.deny !== undefined, opts.result !== undefined].filter(Boolean).length;
      if (chosen !== 1)
        throw new CliError('Give exactly one of --allow, --deny [message] or --result <text>.', EXIT.config);
      let event: UserEventParams;
      if (opts.result !== undefined) {
        event = {
          type: 'user.custom_tool_result',
          custom_tool_use_id: eventId,
          content: [{ type: 'text', text: opts.result }],
          is_error: Boolean(opts.error),
        };
      } else if (opts.allow) {
        event = { type: 'user.tool_confirmation', tool_use_id: eventId, result: 'allow' };
      } else {
        const message = typeof opts.deny === 'string' ? opts.deny : null;
        event = {
          type: 'user.tool_confirmation',
          tool_use_id: eventId,
          result: 'deny',
          deny_message: message,
        };
      }
      const code = await withThreadhand(io, globalsOf(command), { role: 'worker' }, (th) =>
        sendAndStream(th, io, id, [event], Boolean(opts.json)),
      );
      setExit(code);
    });
}
