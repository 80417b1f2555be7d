/** Builds Threadhand for one CLI command, turning configuration problems into clear exits. */
import { resolve } from 'node:path';
import { parseEnv } from '../config/env.js';
import { ConfigError } from '../config/load.js';
import { createLogger, type Logger } from '../logging.js';
import type { Threadhand } from '../main.js';
import { CliError, type CliIo, EXIT } from './io.js';

export interface GlobalOptions {
  agentsDir?: string;
  dataDir?: string;
}

export interface OpenOptions {
  /** `worker` runs the harness in this process; `front` only reads and writes the log. */
  role: 'worker' | 'front';
  /** Log level when THREADHAND_LOG_LEVEL is unset (quiet for one-shot commands). */
  defaultLogLevel?: string;
  logger?: Logger;
}

export function cliLogger(io: CliIo, fallbackLevel: string): Logger {
  return createLogger({
    level: io.env.THREADHAND_LOG_LEVEL || fallbackLevel,
    destination: { write: (line: string) => void io.stderr.write(line) },
  });
}

export function agentsDirOf(io: CliIo, globals: GlobalOptions): string {
  return resolve(globals.agentsDir ?? io.env.THREADHAND_AGENTS_DIR ?? 'agents');
}

export function dataDirOf(io: CliIo, globals: GlobalOptions): string {
  return resolve(globals.dataDir ?? io.env.THREADHAND_DATA_DIR ?? '.threadhand');
}

/** Maps configuration errors to `CliError` (exit 2) and leaves anything else alone. */
export function asCliError(error: unknown): unknown {
  if (error instanceof ConfigError) {
    return new CliError(`Invalid configuration:\n${error.message}`, EXIT.config);
  }
  // main.ts is imported lazily (it pulls in every front door), so match its error by name.
  if (error instanceof Error && error.name === 'ConfigurationError')
    return new CliError(error.message, EXIT.config);
  return error;
}

/**
 * Chat front doors belong to `threadhand start`: a one-shot command must not log a second bot
 * in (or open a Socket Mode connection) next to the running server.
 */
const FRONT_DOOR_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'DISCORD_TOKEN'];

function withoutFrontDoors(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of FRONT_DOOR_VARIABLES) delete copy[name];
  return copy;
}

export async function openThreadhand(
  io: CliIo,
  globals: GlobalOptions,
  options: OpenOptions,
): Promise<Threadhand> {
  const env = withoutFrontDoors(io.env);
  const checked = parseEnv(env, { requireModel: options.role !== 'front' });
  if (!checked.ok) throw new CliError(checked.problems.join('\n'), EXIT.config);
  const { createThreadhand } = await import('../main.js');
  try {
    return await createThreadhand({
      env,
      role: options.role,
      agentsDir: agentsDirOf(io, globals),
      dataDir: dataDirOf(io, globals),
      logger: options.logger ?? cliLogger(io, options.defaultLogLevel ?? 'warn'),
      http: false,
    });
  } catch (error) {
    throw asCliError(error);
  }
}

/** Runs `fn` with a started Threadhand and always stops it afterwards. */
export async function withThreadhand<T>(
  io: CliIo,
  globals: GlobalOptions,
  options: OpenOptions,
  fn: (th: Threadhand) => Promise<T>,
): Promise<T> {
  const th = await openThreadhand(io, globals, options);
  try {
    await th.start();
    return await fn(th);
  } finally {
    await th.stop();
  }
}
