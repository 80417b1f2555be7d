import type { Command } from 'commander';
import { agentsDirOf, dataDirOf, type GlobalOptions } from '../context.js';
import { type CliIo, EXIT } from '../io.js';
import { createStyle, wantsColor } from '../style.js';
import { runChecks } from './doctor-checks.js';

export function registerDoctor(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command('doctor')
    .description('Check Node, sandbox tools, API key, configuration, data directory and optional services')
    .option('--json', 'print the checks as JSON')
    .action(async (opts: { json?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const checks = await runChecks({
        env: io.env,
        agentsDir: agentsDirOf(io, globals),
        dataDir: dataDirOf(io, globals),
      });
      const failed = checks.filter((c) => c.status === 'fail');
      setExit(failed.length > 0 ? EXIT.failed : EXIT.ok);
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
        return;
      }
      const s = createStyle(wantsColor(io.stdout.isTTY, io.env));
      const mark = { ok: s.green('✓'), warn: s.yellow('!'), fail: s.red('✗'), info: s.dim('·') };
      for (const c of checks) {
        const detail = c.detail.split('\n').join('\n      ');
        io.stdout.write(
          `${mark[c.status]} ${s.bold(c.name)}  ${c.status === 'info' ? s.dim(detail) : detail}\n`,
        );
        if (c.fix) io.stdout.write(`    ${s.cyan('fix:')} ${c.fix}\n`);
      }
      const warned = checks.filter((c) => c.status === 'warn').length;
      io.stdout.write(
        failed.length > 0
          ? s.red(`\n${failed.length} problem(s) to fix before Threadhand can run.\n`)
          : s.green(`\nReady${warned > 0 ? ` (${warned} warning(s))` : ''}.\n`),
      );
    });
}
