import type { Command } from 'commander';
import { truncate } from '../../chat/core/summary.js';
import { modelId } from '../../config/schema.js';
import { RuntimeError } from '../../runtime/runtime.js';
import { type GlobalOptions, withThreadhand } from '../context.js';
import { CliError, type CliIo, EXIT } from '../io.js';
import { createRenderer } from '../render.js';
import { exitCodeOf, pendingHint, streamSession } from '../stream.js';
import { createStyle, wantsColor } from '../style.js';

interface RunOptions {
  agent?: string;
  env?: string;
  json?: boolean;
  title?: string;
  vault?: string[];
}

export function registerRun(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('run')
    .description('Start a session with a task and stream it until the turn ends')
    .argument('<task...>', 'what the agent should do (quote it, or pass several words)')
    .option('-a, --agent <name>', 'agent name or id (default: the catalog default, usually "default")')
    .option('-e, --env <name>', 'environment name or id (default: "default")')
    .option('--title <title>', 'session title (default: the start of the task)')
    .option(
      '--vault <name>',
      'vault whose secrets the session gets (repeatable; default: the vault named "default")',
      (v: string, all: string[] = []) => [...all, v],
    )
    .option('--json', 'print every stored event as one JSON line instead of rendering')
    .addHelpText(
      'after',
      `
Text streams as the model writes it; each tool call is one line. Ctrl-C interrupts the
agent (the session stays, resume with \`threadhand sessions send\`); a second Ctrl-C quits.
Exit codes: 0 turn ended, 1 the turn failed, 2 configuration problem, 3 the session waits
for an approval or a custom tool result and this is not a terminal, 130 interrupted.

Examples:
  threadhand run "add a --verbose flag to src/cli.ts and test it"
  threadhand run --agent reviewer --env e2b-example "review the last commit"`,
    )
    .action(async (words: string[], opts: RunOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const task = words.join(' ').trim();
      if (!task)
        throw new CliError(
          'Give the task as an argument, e.g. threadhand run "fix the failing test".',
          EXIT.config,
        );
      const code = await withThreadhand(io, globals, { role: 'worker' }, async (th) => {
        const agentName = opts.agent ?? th.catalog.defaultAgent();
        const agent = await th.catalog.getAgent(agentName);
        let session: Awaited<ReturnType<typeof th.runtime.createSession>>;
        try {
          const vaultIds: string[] = [];
          for (const name of opts.vault ?? []) {
            const live = (await th.vaults.listVaults()).filter((v) => !v.archived_at);
            const vault = live.find((v) => v.display_name === name) ?? live.find((v) => v.id === name);
            if (!vault)
              throw new CliError(
                `No vault named ${name}: create it with threadhand vault create ${name}`,
                EXIT.config,
              );
            vaultIds.push(vault.id);
          }
          session = await th.runtime.createSession({
            ...(vaultIds.length > 0 ? { vault_ids: vaultIds } : {}),
            agent: opts.agent,
            environment: opts.env,
            title: opts.title ?? truncate(task.replace(/\s+/g, ' '), 80),
            author: { platform: 'cli', user_id: 'cli' },
          });
        } catch (error) {
          if (error instanceof RuntimeError && error.code === 'not_found')
            throw new CliError(error.message, EXIT.config);
          throw error;
        }
        const color = wantsColor(io.stdout.isTTY, io.env);
        const style = createStyle(color);
        if (!opts.json) {
          io.stdout.write(
            style.dim(`session ${session.id} · agent ${session.agent_id} · env ${session.environment_id}\n`),
          );
        }
        const renderer = createRenderer({
          write: (s) => void io.stdout.write(s),
          style,
          tty: Boolean(io.stdout.isTTY),
          model: agent ? modelId(agent.config) : undefined,
          prices: th.prices,
        });
        const outcome = await streamSession({
          runtime: th.runtime,
          sessionId: session.id,
          after: session.last_event_id ?? undefined,
          send: [{ type: 'user.message', content: [{ type: 'text', text: task }] }],
          renderer,
          io,
          style,
          interactive: !opts.json && io.stdinIsTTY && Boolean(io.stdout.isTTY),
          json: opts.json,
        });
        if (outcome.stop.type === 'requires_action')
          io.stderr.write(`${pendingHint(session.id, outcome.pending)}\n`);
        if (outcome.interrupted || outcome.stop.type === 'detached') {
          io.stderr.write(
            `Session ${session.id} kept; continue with: threadhand sessions send ${session.id} "..."\n`,
          );
        }
        return exitCodeOf(outcome);
      });
      setExit(code);
    });
}
