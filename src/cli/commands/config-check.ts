/**
 * `threadhand config check`: validates the environment, agents, environments, the Slack and
 * Discord settings and the shipped manifests, and reports every problem at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseEnv } from '../../config/env.js';
import { ConfigError, formatProblem, loadConfigDir } from '../../config/load.js';

export interface ConfigCheckOptions {
  env: NodeJS.ProcessEnv;
  agentsDir: string;
  /** Directory holding `slack-app.yaml` and `discord-commands.json`; skipped when absent. */
  manifestsDir?: string;
  /** Whether this process calls the model (roles all and worker). Default from THREADHAND_ROLE. */
  requireModel?: boolean;
}

export interface ConfigCheckResult {
  /** Every problem, one sentence each, prefixed with where it is. */
  problems: string[];
  /** What was checked (for the summary). */
  checked: string[];
}

/** The parts of the Slack app manifest Threadhand relies on. */
const SlackManifest = z.object({
  display_information: z.object({ name: z.string().min(1) }),
  oauth_config: z.object({ scopes: z.object({ bot: z.array(z.string()).min(1) }) }),
  settings: z.object({
    event_subscriptions: z.object({ bot_events: z.array(z.string()).min(1) }),
    interactivity: z.object({ is_enabled: z.boolean() }),
  }),
});

const issues = (where: string, error: z.ZodError) =>
  error.issues.map((i) => `${where}: ${i.path.join('.') || '(root)'}: ${i.message}`);

export async function checkConfig(options: ConfigCheckOptions): Promise<ConfigCheckResult> {
  const problems: string[] = [];
  const checked: string[] = [];
  const { env } = options;

  const requireModel = options.requireModel ?? env.THREADHAND_ROLE?.trim() !== 'front';
  const parsedEnv = parseEnv(env, { requireModel });
  checked.push('environment variables');
  if (!parsedEnv.ok) problems.push(...parsedEnv.problems.map((p) => `env: ${p}`));

  checked.push(`agents and environments in ${options.agentsDir}`);
  let agentNames: string[] = [];
  let environmentNames: string[] = [];
  try {
    const loaded = await loadConfigDir(options.agentsDir);
    agentNames = loaded.agents.map((a) => a.name);
    environmentNames = loaded.environments.map((e) => e.name);
  } catch (error) {
    if (error instanceof ConfigError) problems.push(...error.problems.map(formatProblem));
    else problems.push(`${options.agentsDir}: ${error instanceof Error ? error.message : String(error)}`);
  }

  if (env.THREADHAND_PRICES_FILE?.trim()) {
    checked.push('price table');
    try {
      const { loadPriceTable } = await import('../../usage/prices.js');
      loadPriceTable(env.THREADHAND_PRICES_FILE);
    } catch (error) {
      problems.push(`THREADHAND_PRICES_FILE: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  if (env.SLACK_BOT_TOKEN?.trim()) {
    checked.push('Slack settings');
    try {
      const slack = await import('../../chat/slack/config.js');
      slack.slackSettingsFromEnv(env, await slack.readSlackConfigFile(env.SLACK_CONFIG_FILE));
    } catch (error) {
      problems.push(`slack: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const [name, value, known] of [
      ['SLACK_AGENT', env.SLACK_AGENT, agentNames],
      ['SLACK_ENVIRONMENT', env.SLACK_ENVIRONMENT, environmentNames],
    ] as const) {
      if (value && known.length > 0 && !known.includes(value))
        problems.push(`env: ${name} names "${value}", which is not defined in ${options.agentsDir}.`);
    }
  }
  if (env.DISCORD_TOKEN?.trim()) {
    checked.push('Discord settings');
    try {
      const discord = await import('../../chat/discord/config.js');
      discord.discordSettingsFromEnv(env);
    } catch (error) {
      problems.push(`discord: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const [name, value, known] of [
      ['DISCORD_AGENT', env.DISCORD_AGENT, agentNames],
      ['DISCORD_ENVIRONMENT', env.DISCORD_ENVIRONMENT, environmentNames],
    ] as const) {
      if (value && known.length > 0 && !known.includes(value))
        problems.push(`env: ${name} names "${value}", which is not defined in ${options.agentsDir}.`);
    }
  }

  if (options.manifestsDir) {
    const slackFile = join(options.manifestsDir, 'slack-app.yaml');
    if (existsSync(slackFile)) {
      checked.push(slackFile);
      try {
        const parsed = SlackManifest.safeParse(parse(readFileSync(slackFile, 'utf8')));
        if (!parsed.success) problems.push(...issues(slackFile, parsed.error));
      } catch (error) {
        problems.push(
          `${slackFile}: not valid YAML: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const discordFile = join(options.manifestsDir, 'discord-commands.json');
    if (existsSync(discordFile)) {
      checked.push(discordFile);
      const { CommandManifest } = await import('../../chat/discord/register.js');
      try {
        const parsed = CommandManifest.safeParse(JSON.parse(readFileSync(discordFile, 'utf8')));
        if (!parsed.success) problems.push(...issues(discordFile, parsed.error));
      } catch (error) {
        problems.push(
          `${discordFile}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
  return { problems, checked };
}
