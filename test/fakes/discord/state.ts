/**
 * In-memory world of the fake Discord: guilds, channels, threads, messages, commands.
 * Shapes follow the v10 API objects closely enough for discord.js 14 to build its structures.
 */

const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

/** A Discord snowflake for "now" (timestamp << 22 | increment), as a string. */
export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | increment).toString();
}

/** Permission bits the fake knows about (the same values as Discord's). */
export const Perm = {
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  EmbedLinks: 1n << 14n,
  ReadMessageHistory: 1n << 16n,
  MentionEveryone: 1n << 17n,
  AddReactions: 1n << 6n,
  CreatePublicThreads: 1n << 35n,
  SendMessagesInThreads: 1n << 38n,
} as const;

export const DEFAULT_BOT_PERMISSIONS =
  Perm.ViewChannel |
  Perm.SendMessages |
  Perm.EmbedLinks |
  Perm.ReadMessageHistory |
  Perm.AddReactions |
  Perm.CreatePublicThreads |
  Perm.SendMessagesInThreads;

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: string | null;
  bot?: boolean;
}

export function makeUser(id: string, username: string, bot = false): FakeUser {
  return {
    id,
    username,
    global_name: username,
    discriminator: '0',
    avatar: null,
    ...(bot ? { bot: true } : {}),
  };
}

export interface FakeChannel {
  id: string;
  type: number;
  name: string;
  guild_id?: string;
  parent_id?: string | null;
  position?: number;
  permission_overwrites?: unknown[];
  owner_id?: string;
  thread_metadata?: {
    archived: boolean;
    auto_archive_duration: number;
    archive_timestamp: string;
    locked: boolean;
  };
  recipients?: FakeUser[];
  last_message_id?: string | null;
}

export interface FakeGuild {
  id: string;
  name: string;
  /** Permissions of the @everyone role (the bot has no other role). */
  everyonePermissions: bigint;
  roles: Array<{ id: string; name: string; permissions: string; position: number }>;
  channels: FakeChannel[];
}

/** One state of a message, kept for every create and edit. */
export interface MessageRevision {
  content: string;
  embeds: unknown[];
  components: unknown[];
  at: number;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: FakeUser;
  content: string;
  embeds: Array<Record<string, unknown>>;
  components: Array<Record<string, unknown>>;
  flags: number;
  allowed_mentions?: { parse?: string[]; users?: string[]; roles?: string[]; replied_user?: boolean };
  message_reference?: unknown;
  timestamp: string;
  edited_timestamp: string | null;
  /** Set for interaction responses and followups (ephemeral ones included). */
  interaction_id?: string;
  revisions: MessageRevision[];
  deleted: boolean;
}

/** Who a message would notify, by Discord's `allowed_mentions` rules. */
export function pingsOf(message: Pick<FakeMessage, 'content' | 'allowed_mentions'>): {
  everyone: boolean;
  users: string[];
  roles: string[];
} {
  const content = message.content;
  const am = message.allowed_mentions;
  const parse = am === undefined ? ['everyone', 'users', 'roles'] : (am.parse ?? []);
  const userIds = [...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1] as string);
  const roleIds = [...content.matchAll(/<@&(\d+)>/g)].map((m) => m[1] as string);
  return {
    everyone: parse.includes('everyone') && /@(everyone|here)\b/.test(content),
    users: userIds.filter((id) => parse.includes('users') || (am?.users ?? []).includes(id)),
    roles: roleIds.filter((id) => parse.includes('roles') || (am?.roles ?? []).includes(id)),
  };
}

export function messageJson(m: FakeMessage): Record<string, unknown> {
  return {
    id: m.id,
    type: 0,
    channel_id: m.channel_id,
    ...(m.guild_id ? { guild_id: m.guild_id } : {}),
    author: m.author,
    content: m.content,
    embeds: m.embeds,
    components: m.components,
    attachments: [],
    mentions: [],
    mention_roles: [],
    mention_everyone: pingsOf(m).everyone,
    pinned: false,
    tts: false,
    flags: m.flags,
    timestamp: m.timestamp,
    edited_timestamp: m.edited_timestamp,
    ...(m.message_reference ? { message_reference: m.message_reference } : {}),
  };
}

export function guildCreatePayload(
  guild: FakeGuild,
  bot: FakeUser,
  threads: FakeChannel[],
): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: '1',
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 1,
    explicit_content_filter: 0,
    roles: guild.roles.map((r) => ({
      ...r,
      permissions: r.id === guild.id ? guild.everyonePermissions.toString() : r.permissions,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      managed: false,
      mentionable: false,
      flags: 0,
    })),
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    joined_at: now,
    large: false,
    unavailable: false,
    member_count: 2,
    voice_states: [],
    members: [{ user: bot, roles: [], joined_at: now, deaf: false, mute: false, flags: 0 }],
    channels: guild.channels.map((c) => ({ ...c, guild_id: undefined })),
    threads: threads.map((t) => ({ ...t })),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
  };
}
