/** `threadhand discord register [--guild ID]`: sends the slash commands in the manifest to Discord. */
import type { Command } from 'commander';
import { registerDiscordCommands } from '../../chat/discord/index.js';
import { CliError, type CliIo, EXIT } from '../io.js';

export function registerDiscord(program: Command, io: CliIo, setExit: (code: number) => void): void {
  const discord = program.command('discord').description('Discord front door: register slash commands');
  discord
    .command('register')
    .description('Register the slash commands in manifests/discord-commands.json with Discord')
    .option(
      '--guild <id>',
      'register in one server (shows at once) instead of globally (can take up to an hour)',
    )
    .option('--manifest <path>', 'command definitions to send (default: the shipped manifest)')
    .action(async (opts: { guild?: string; manifest?: string }) => {
      const token = io.env.DISCORD_TOKEN?.trim();
      if (!token) {
        throw new CliError(
          'DISCORD_TOKEN is not set: export the bot token from the Developer Portal (Bot -> Reset Token) and run again.',
          EXIT.config,
        );
      }
      if (opts.guild !== undefined && !/^\d+$/.test(opts.guild)) {
        throw new CliError(`--guild must be a server id (a number), not "${opts.guild}".`, EXIT.config);
      }
      const apiUrl = io.env.DISCORD_API_URL?.trim();
      const result = await registerDiscordCommands({
        token,
        ...(apiUrl ? { apiUrl } : {}),
        ...(opts.guild ? { guildId: opts.guild } : {}),
        ...(opts.manifest ? { manifestPath: opts.manifest } : {}),
      });
      io.stdout.write(
        `Registered ${result.commands.length} commands (${result.scope}) for application ${result.applicationId}:\n`,
      );
      for (const command of result.commands) io.stdout.write(`  /${command.name}\n`);
      setExit(EXIT.ok);
    });
}
