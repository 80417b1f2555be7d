/** `sessions trace` (a waterfall of a session's spans) and `sessions budget` (raise limits). */
import type { Command } from 'commander';
import { BUDGET_METADATA_PREFIX } from '../../usage/budget.js';
import { renderTrace, traceSpans } from '../../usage/trace.js';
import { computeUsage, formatUsage } from '../../usage/usage.js';
import { type GlobalOptions, withThreadhand } from '../context.js';
import { CliError, type CliIo, EXIT } from '../io.js';
import { modelOf, requireSession } from '../session-helpers.js';

const LIMITS = ['max_tokens', 'max_cost_usd', 'max_tool_calls', 'max_wall_seconds'] as const;

export function registerSessionTrace(sessions: Command, io: CliIo): void {
  const globalsOf = (command: Command) => command.optsWithGlobals<GlobalOptions>();

  sessions
    .command('trace')
    .description('Print a timeline of a session: runs, model requests, tool calls and sandbox operations')
    .argument('<id>', 'session id (sesn_...)')
    .option('--json', 'print the spans as JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      await withThreadhand(io, globalsOf(command), { role: 'front' }, async (th) => {
        const session = await requireSession(th, id);
        const events = await th.stores.log.read(id);
        const spans = traceSpans(events);
        if (opts.json) {
          io.stdout.write(`${JSON.stringify(spans, null, 2)}\n`);
          return;
        }
        const usage = computeUsage(events, (await modelOf(th, session)) ?? '', th.prices);
        io.stdout.write(
          `${renderTrace(spans, io.stdout.isTTY ? 40 : 30)}\n\n${formatUsage(usage)} · ${usage.active_seconds}s active\n`,
        );
      });
    });

  const budget = sessions
    .command('budget')
    .description("Show or change a session's budget (limits on tokens, cost, tool calls, wall time)")
    .argument('<id>', 'session id (sesn_...)');
  for (const limit of LIMITS)
    budget.option(
      `--${limit.replaceAll('_', '-')} <n>`,
      `set ${limit} ("none" removes the session's override)`,
    );
  budget.action(async (id: string, opts: Record<string, string | undefined>, command: Command) => {
    await withThreadhand(io, globalsOf(command), { role: 'front' }, async (th) => {
      const session = await requireSession(th, id);
      const metadata = { ...session.metadata };
      let changed = false;
      for (const limit of LIMITS) {
        const raw = opts[limit.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
        if (raw === undefined) continue;
        if (raw !== 'none' && !(Number(raw) > 0)) {
          throw new CliError(
            `--${limit.replaceAll('_', '-')} must be a positive number or "none".`,
            EXIT.config,
          );
        }
        if (raw === 'none') delete metadata[BUDGET_METADATA_PREFIX + limit];
        else metadata[BUDGET_METADATA_PREFIX + limit] = raw;
        changed = true;
      }
      if (changed) await th.stores.log.updateSession(id, { metadata });
      const lines = LIMITS.map((l) => `${l}: ${metadata[BUDGET_METADATA_PREFIX + l] ?? '(agent default)'}`);
      io.stdout.write(
        `${lines.join('\n')}\n${changed ? `Updated. Send a message to continue: threadhand sessions send ${id} "continue"\n` : ''}`,
      );
    });
  });
}
