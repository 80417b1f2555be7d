/** Discord front-door settings: who may do what, pacing, and the env variables that set them. */
import { z } from 'zod';

const idList = z.array(z.string().regex(/^\d+$/, 'Discord ids are numbers (snowflakes)')).default([]);

export const DiscordConfig = z.object({
  /** Users who may stop/approve any session (besides its starter). */
  operatorUserIds: idList,
  /** Members with any of these roles may stop/approve any session. */
  operatorRoleIds: idList,
  /**
   * Who may start sessions and steer them: `everyone` in the guilds the bot is in, or only
   * operators (the users and roles above) and DMs from operator users.
   */
  startPolicy: z.enum(['everyone', 'operators']).default('everyone'),
  /** Answer messages from other bots (never from itself). */
  respondToBots: z.boolean().default(false),
  /** Agent and environment for sessions started from Discord (default: the catalog's). */
  agent: z.string().optional(),
  environment: z.string().optional(),
  /** Minimum time between redraws of a streaming answer (per thread). */
  throttleMs: z.number().int().min(0).default(1000),
  /**
   * Minimum time between two renderer calls (post, edit, typing) in one channel. Discord's
   * message routes allow about 5 calls per 5 s per channel; it announces each bucket in the
   * X-RateLimit-* headers and discord.js queues by them, but that queue only holds a request
   * once a bucket is spent, so a burst (several tool cards at once) would go out together and
   * then stall until the reset. One call a second keeps a thread within 5 per 5 s across all
   * of these routes together, whatever the headers say.
   */
  channelIntervalMs: z.number().int().min(0).default(1000),
  /**
   * Only one process holds the gateway (leases in the shared store); a standby takes over
   * this long after the holder stops renewing.
   */
  gatewayLeaseTtlMs: z.number().int().min(100).default(15_000),
  /** How long `start()` waits for the gateway to be ready. */
  readyTimeoutMs: z.number().int().positive().default(30_000),
});
export type DiscordConfig = z.infer<typeof DiscordConfig>;
export type DiscordConfigInput = z.input<typeof DiscordConfig>;

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Reads `DISCORD_TOKEN`, `DISCORD_API_URL`, `DISCORD_OPERATOR_USERS`, `DISCORD_OPERATOR_ROLES`,
 * `DISCORD_START_POLICY`, `DISCORD_RESPOND_TO_BOTS`, `DISCORD_AGENT`, `DISCORD_ENVIRONMENT`.
 * Returns null when no token is set (the Discord front door stays off).
 */
export function discordSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): {
  token: string;
  apiUrl?: string;
  config: DiscordConfig;
} | null {
  const token = env.DISCORD_TOKEN?.trim();
  if (!token) return null;
  const parsed = DiscordConfig.safeParse({
    operatorUserIds: list(env.DISCORD_OPERATOR_USERS),
    operatorRoleIds: list(env.DISCORD_OPERATOR_ROLES),
    ...(env.DISCORD_START_POLICY ? { startPolicy: env.DISCORD_START_POLICY } : {}),
    respondToBots: env.DISCORD_RESPOND_TO_BOTS === 'true' || env.DISCORD_RESPOND_TO_BOTS === '1',
    ...(env.DISCORD_AGENT ? { agent: env.DISCORD_AGENT } : {}),
    ...(env.DISCORD_ENVIRONMENT ? { environment: env.DISCORD_ENVIRONMENT } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const names: Record<string, string> = {
      operatorUserIds: 'DISCORD_OPERATOR_USERS',
      operatorRoleIds: 'DISCORD_OPERATOR_ROLES',
      startPolicy: 'DISCORD_START_POLICY',
    };
    const name = names[String(issue?.path[0])] ?? String(issue?.path[0]);
    throw new Error(`${name}: ${issue?.message ?? 'invalid value'}`);
  }
  const apiUrl = env.DISCORD_API_URL?.trim();
  return { token, ...(apiUrl ? { apiUrl } : {}), config: parsed.data };
}
