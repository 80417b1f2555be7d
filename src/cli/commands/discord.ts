/** `threadhand discord register [--guild ID]`: sends the slash commands in the manifest to Discord. */
import { Command } from 'commander';
import { registerDiscordCommands } from '../../chat/discord/index.js';

export interface DiscordCommandOptions {
  env?: NodeJS.ProcessEnv;
  /** Where to print (default stdout). */
  out?: (line: string) => void;
}

export function discordCommand(options: DiscordCommandOptions = {}): Command {
  const env = options.env ?? process.env;
  const out = options.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const discord = new Command('discord').description('Discord front door');
  discord
    .command('register')
    .description('Register the slash commands in manifests/discord-commands.json with Discord')
    .option(
      '--guild <id>',
      'register in one guild (shows at once) instead of globally (can take up to an hour)',
    )
    .option('--manifest <path>', 'command definitions to send (default: the shipped manifest)')
    .action(async (opts: { guild?: string; manifest?: string }) => {
      const token = env.DISCORD_TOKEN?.trim();
      if (!token) {
        throw new Error(
          'DISCORD_TOKEN is not set: export the bot token from the Developer Portal (Bot -> Reset Token) and run again.',
        );
      }
      if (opts.guild !== undefined && !/^\d+$/.test(opts.guild)) {
        throw new Error(
          `--guild must be a guild id (a number), not "${opts.guild}": copy it with Developer Mode on.`,
        );
      }
      const apiUrl = env.DISCORD_API_URL?.trim();
      const result = await registerDiscordCommands({
        token,
        ...(apiUrl ? { apiUrl } : {}),
        ...(opts.guild ? { guildId: opts.guild } : {}),
        ...(opts.manifest ? { manifestPath: opts.manifest } : {}),
      });
      out(
        `Registered ${result.commands.length} commands (${result.scope}) for application ${result.applicationId}:`,
      );
      for (const command of result.commands) out(`  /${command.name}`);
    });
  return discord;
}
