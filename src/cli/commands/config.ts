/** `threadhand config check` and `threadhand config reference`. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { renderConfigurationReference } from '../../config/reference.js';
import { agentsDirOf, type GlobalOptions } from '../context.js';
import { type CliIo, EXIT } from '../io.js';
import { checkConfig } from './config-check.js';

/** `manifests/` of this package (from src/ or dist/src/), else of the working directory. */
function manifestsDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '../../../manifests'), join(here, '../../../../manifests'), 'manifests'].find((d) =>
    existsSync(d),
  );
}

export function registerConfig(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const config = program.command('config').description('Check or print the configuration reference');
  config
    .command('check')
    .description(
      'Validate environment variables, agents, environments and manifests; print every problem (exit 2 if any)',
    )
    .option(
      '--manifests <dir>',
      'directory of slack-app.yaml and discord-commands.json (default: the shipped ones)',
    )
    .action(async (opts: { manifests?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const result = await checkConfig({
        env: io.env,
        agentsDir: agentsDirOf(io, globals),
        manifestsDir: opts.manifests ?? manifestsDir(),
      });
      if (result.problems.length === 0) {
        io.stdout.write(`Configuration OK (${result.checked.join(', ')}).\n`);
        setExit(EXIT.ok);
        return;
      }
      for (const problem of result.problems) io.stderr.write(`✗ ${problem}\n`);
      io.stderr.write(`\n${result.problems.length} problem(s) found. See docs/configuration.md.\n`);
      setExit(EXIT.config);
    });
  config
    .command('reference')
    .description('Print the configuration reference (docs/configuration.md) as Markdown')
    .action(() => {
      io.stdout.write(renderConfigurationReference());
    });
}
