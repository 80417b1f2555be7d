import type { Command } from 'commander';
import { parseEnv } from '../../config/env.js';
import { createLogger } from '../../logging.js';
import type { Role, Threadhand } from '../../main.js';
import { checkRoleStorage } from '../../runtime/roles.js';
import { agentsDirOf, asCliError, dataDirOf, type GlobalOptions } from '../context.js';
import { CliError, type CliIo, EXIT } from '../io.js';

interface StartOptions {
  role?: string;
  host?: string;
  port?: string;
}

export function registerStart(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('start')
    .description(
      'Run Threadhand as a long-running server: harness worker, HTTP API, web console and chat front doors',
    )
    .option('--role <role>', 'all (default), front (front doors only) or worker (harness only)')
    .option('--host <host>', 'HTTP listen address (default THREADHAND_HOST or 127.0.0.1)')
    .option(
      '--port <port>',
      'HTTP port (default THREADHAND_PORT or 4040; 0 = any free port); for a worker, its health and metrics port (THREADHAND_WORKER_PORT)',
    )
    .addHelpText(
      'after',
      `
Everything is configured by environment variables (see docs/cli.md): ANTHROPIC_API_KEY is
required; THREADHAND_REDIS_URL switches to the distributed mode; SLACK_*/DISCORD_TOKEN
enable the chat front doors. Stops cleanly on Ctrl-C or SIGTERM.`,
    )
    .action(async (opts: StartOptions, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const role = (opts.role ?? io.env.THREADHAND_ROLE ?? 'all') as Role;
      if (!['all', 'front', 'worker'].includes(role))
        throw new CliError('--role must be all, front or worker.', EXIT.config);
      const port = opts.port === undefined ? undefined : Number(opts.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
        throw new CliError('--port must be a port number between 0 and 65535.', EXIT.config);
      }
      try {
        checkRoleStorage(role, Boolean(io.env.THREADHAND_REDIS_URL));
      } catch (error) {
        throw new CliError(error instanceof Error ? error.message : String(error), EXIT.config);
      }
      const checked = parseEnv(io.env, { requireModel: role !== 'front' });
      if (!checked.ok) throw new CliError(checked.problems.join('\n'), EXIT.config);
      const env = checked.env;
      const logger = createLogger({
        level: env.THREADHAND_LOG_LEVEL,
        pretty: Boolean(io.stderr.isTTY) && !io.env.NO_COLOR,
        destination: io.stderr.isTTY ? undefined : { write: (line: string) => void io.stderr.write(line) },
      });
      const { createThreadhand } = await import('../../main.js');
      let th: Threadhand;
      try {
        th = await createThreadhand({
          env: io.env,
          role,
          agentsDir: agentsDirOf(io, globals),
          dataDir: dataDirOf(io, globals),
          logger,
          // A worker serves only health and metrics, and only on a port it was given.
          http:
            role === 'worker'
              ? (port ?? env.THREADHAND_WORKER_PORT) === undefined
                ? false
                : { host: opts.host ?? env.THREADHAND_HOST, port: port ?? env.THREADHAND_WORKER_PORT }
              : { host: opts.host ?? env.THREADHAND_HOST, port: port ?? env.THREADHAND_PORT },
        });
      } catch (error) {
        throw asCliError(error);
      }
      await th.start();
      const agents = (await th.catalog.listAgents()).map((a) => a.id);
      const environments = (await th.catalog.listEnvironments()).map((e) => e.id);
      logger.info(
        {
          role,
          store: env.THREADHAND_REDIS_URL ? 'redis' : 'sqlite',
          dataDir: env.THREADHAND_REDIS_URL ? undefined : dataDirOf(io, globals),
          url: th.http?.url,
          services: th.services.map((s) => s.name),
          sandboxes: th.sandboxProviders.map((p) => p.name),
          agents,
          environments,
          slack: Boolean(env.SLACK_BOT_TOKEN),
          discord: Boolean(env.DISCORD_TOKEN),
          e2b: Boolean(env.E2B_API_KEY),
        },
        'threadhand started',
      );
      const signal = await io.untilSignal();
      logger.info(
        { signal, hint: 'running turns get a grace period; signal again to exit at once' },
        'stopping',
      );
      // A second signal while stopping exits at once; the log stays consistent (runs resume).
      const again = io.untilSignal().then(() => 'again' as const);
      const outcome = await Promise.race([th.stop().then(() => 'stopped' as const), again]);
      setExit(outcome === 'stopped' ? EXIT.ok : 130);
    });
}
