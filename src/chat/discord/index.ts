export { DiscordConfig, type DiscordConfigInput, discordSettingsFromEnv } from './config.js';
export { buttonId, parseButtonId } from './format.js';
export { DISCORD_BOT_PERMISSIONS, discordInviteUrl, REQUIRED_CHANNEL_PERMISSIONS } from './inbound.js';
export { loadCommandManifest, type RegisterCommandsOptions, registerDiscordCommands } from './register.js';
export {
  createDiscordService,
  DISCORD_INTENTS,
  type DiscordService,
  type DiscordServiceOptions,
} from './service.js';
export { DISCORD_MESSAGE_LIMIT, splitMessage } from './split.js';
