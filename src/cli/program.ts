/** The `threadhand` command line: builds the commander program and maps errors to exit codes. */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerConfig } from './commands/config.js';
import { registerDiscord } from './commands/discord.js';
import { registerDoctor } from './commands/doctor.js';
import { registerRun } from './commands/run.js';
import { registerSessions } from './commands/sessions.js';
import { registerStart } from './commands/start.js';
import { registerVault } from './commands/vault.js';
import { asCliError } from './context.js';
import { CliError, type CliIo, EXIT, processIo } from './io.js';

/** The package version, found by walking up from this file (works from src/ and dist/src/). */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'threadhand') return pkg.version ?? '0.0.0';
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}

export function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command()
    .name('threadhand')
    .description(
      'Self-hosted runtime for long-running Claude agents: run tasks, inspect sessions, serve Slack/Discord/web.',
    )
    .version(packageVersion(), '-V, --version')
    .option('--agents-dir <dir>', 'directory of agent YAML files (default THREADHAND_AGENTS_DIR or ./agents)')
    .option('--data-dir <dir>', 'where sessions are stored (default THREADHAND_DATA_DIR or ./.threadhand)')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    })
    .exitOverride();
  program.addHelpText(
    'after',
    `
Quick start:
  export ANTHROPIC_API_KEY=...        # or ANTHROPIC_BASE_URL for a compatible server
  threadhand doctor                  # check this machine
  threadhand run "what does this repository do?"
  threadhand start                   # long-running: API, web console, Slack/Discord

Reference: docs/cli.md (commands) and docs/agents.md (agent and environment YAML).`,
  );
  registerRun(program, io, setExit);
  registerSessions(program, io, setExit);
  registerDoctor(program, io, setExit);
  registerStart(program, io, setExit);
  registerDiscord(program, io, setExit);
  registerConfig(program, io, setExit);
  registerVault(program, io, setExit);
  for (const command of program.commands) {
    command.exitOverride();
    command.configureOutput({
      writeOut: (s) => void io.stdout.write(s),
      writeErr: (s) => void io.stderr.write(s),
    });
    for (const sub of command.commands) {
      sub.exitOverride();
      sub.configureOutput({
        writeOut: (s) => void io.stdout.write(s),
        writeErr: (s) => void io.stderr.write(s),
      });
    }
  }
  return program;
}

/** Runs the CLI; resolves with the process exit code. Never throws. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (raw) {
    if (raw instanceof CommanderError) {
      // --help and --version end with code 0; usage mistakes are configuration errors.
      return raw.exitCode === 0 ? EXIT.ok : EXIT.config;
    }
    const error = asCliError(raw);
    if (error instanceof CliError) {
      io.stderr.write(`${error.message}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`threadhand: ${message}\n`);
    if (io.env.THREADHAND_LOG_LEVEL === 'debug' && error instanceof Error && error.stack)
      io.stderr.write(`${error.stack}\n`);
    else io.stderr.write('(set THREADHAND_LOG_LEVEL=debug for details)\n');
    return EXIT.failed;
  }
}
