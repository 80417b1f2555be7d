/**
 * Environment packages in an E2B sandbox: installed once, right after create, by one script.
 * For sessions that should not wait for installs, bake the packages into an E2B template and
 * set `e2b.template` (docs/e2b.md): a template's sandboxes start with them already there.
 */
import { CommandExitError, type Sandbox as E2BSdkSandbox } from 'e2b';
import type { EnvironmentConfig } from '../../config/schema.js';
import type { Logger } from '../../logging.js';
import { shellQuote } from '../paths.js';
import { SandboxError } from '../types.js';

const INSTALL_TIMEOUT_MS = 15 * 60 * 1000;

/** One bash script that installs every listed package, or undefined when there are none. */
export function installPackagesScript(environment: EnvironmentConfig): string | undefined {
  const { apt, npm, pip, cargo, gem, go } = environment.packages;
  const q = (list: string[]) => list.map(shellQuote).join(' ');
  const steps: string[] = [];
  if (apt.length > 0)
    steps.push(
      `$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq ${q(apt)}`,
    );
  if (npm.length > 0) steps.push(`$SUDO npm install -g --no-audit --no-fund ${q(npm)}`);
  if (pip.length > 0)
    steps.push(`pip install --quiet --user ${q(pip)} || $SUDO pip install --quiet ${q(pip)}`);
  if (cargo.length > 0) steps.push(`cargo install ${q(cargo)}`);
  if (gem.length > 0) steps.push(`$SUDO gem install ${q(gem)}`);
  if (go.length > 0)
    steps.push(...go.map((p) => `go install ${shellQuote(p.includes('@') ? p : `${p}@latest`)}`));
  if (steps.length === 0) return undefined;
  return [
    'set -e',
    'SUDO=""',
    '[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && SUDO=sudo',
    ...steps,
  ].join('\n');
}

export async function installPackages(
  sandbox: E2BSdkSandbox,
  script: string,
  environment: EnvironmentConfig,
  logger: Logger,
): Promise<void> {
  const started = performance.now();
  try {
    await sandbox.commands.run(script, { timeoutMs: INSTALL_TIMEOUT_MS });
    logger.info(
      {
        sandboxId: sandbox.sandboxId,
        environment: environment.name,
        ms: Math.round(performance.now() - started),
      },
      'e2b packages installed',
    );
  } catch (err) {
    if (!(err instanceof CommandExitError)) throw err;
    const output = `${err.stderr}\n${err.stdout}`.trim().split('\n').slice(-15).join('\n');
    throw new SandboxError(
      'package_install_failed',
      `Installing the packages of environment "${environment.name}" in the E2B sandbox failed (exit code ${err.exitCode}):\n${output}\n` +
        'Fix the package names in the environment, or build an E2B template that already contains them and set e2b.template.',
    );
  }
}
