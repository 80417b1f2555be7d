import {
  DEFAULT_BOT_PERMISSIONS,
  type FakeChannel,
  type FakeGuild,
  type FakeMessage,
  type FakeUser,
  makeUser,
  messageJson,
  snowflake,
} from './state.js';

export interface FakeInteraction {
  id: string;
  token: string;
  type: number;
  channelId: string;
  createdAt: number;
  /** The message a component interaction came from. */
  messageId?: string;
  originalMessageId?: string;
  acknowledged?: { type: number; at: number };
}

export interface WorldOptions {
  token: string;
  botId?: string;
  applicationId?: string;
  guilds?: Array<{
    id?: string;
    name?: string;
    channels?: string[];
    everyonePermissions?: bigint;
    roleIds?: string[];
  }>;
}

/** Everything the fake REST API and gateway share. */
export class FakeDiscordWorld {
  readonly token: string;
  readonly bot: FakeUser;
  readonly applicationId: string;
  gatewayUrl = '';
  readonly guilds: FakeGuild[];
  readonly threads = new Map<string, FakeChannel>();
  readonly dms = new Map<string, FakeChannel>();
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly users = new Map<string, FakeUser>();
  /** `global` or a guild id -> the registered command definitions. */
  readonly commands = new Map<string, Array<Record<string, unknown>>>();
  readonly botReactions = new Set<string>();
  /** Set by the gateway: sends a dispatch to connected clients. */
  dispatch: (t: string, d: unknown) => void = () => {};

  constructor(options: WorldOptions) {
    this.token = options.token;
    this.bot = makeUser(options.botId ?? snowflake(), 'threadhand', true);
    this.applicationId = options.applicationId ?? this.bot.id;
    const specs = options.guilds ?? [{}];
    this.guilds = specs.map((spec, gi) => {
      const id = spec.id ?? snowflake();
      return {
        id,
        name: spec.name ?? `guild${gi}`,
        everyonePermissions: spec.everyonePermissions ?? DEFAULT_BOT_PERMISSIONS,
        roles: [
          { id, name: '@everyone', permissions: '0', position: 0 },
          ...(spec.roleIds ?? []).map((roleId, i) => ({
            id: roleId,
            name: `role${i + 1}`,
            permissions: '0',
            position: i + 1,
          })),
        ],
        channels: (spec.channels ?? ['general']).map((name, i) => ({
          id: snowflake(),
          type: 0,
          name,
          guild_id: id,
          parent_id: null,
          position: i,
          permission_overwrites: [],
          last_message_id: null,
        })),
      };
    });
  }

  applicationJson(): Record<string, unknown> {
    return {
      id: this.applicationId,
      name: 'Threadhand',
      icon: null,
      description: '',
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: '0'.repeat(64),
      flags: 0,
      team: null,
      owner: makeUser('1', 'owner'),
      bot: this.bot,
      // Discord sends an object here; `null` crashes discord.js's ClientApplication#fetch.
      install_params: { scopes: ['bot', 'applications.commands'], permissions: '0' },
      tags: [],
    };
  }

  channel(id: string): FakeChannel | undefined {
    for (const guild of this.guilds) {
      const found = guild.channels.find((c) => c.id === id);
      if (found) return found;
    }
    return this.threads.get(id) ?? this.dms.get(id);
  }

  dmChannel(user: FakeUser): FakeChannel {
    this.users.set(user.id, user);
    const existing = [...this.dms.values()].find((c) => c.recipients?.[0]?.id === user.id);
    if (existing) return existing;
    const channel: FakeChannel = {
      id: snowflake(),
      type: 1,
      name: '',
      recipients: [user],
      last_message_id: null,
    };
    this.dms.set(channel.id, channel);
    return channel;
  }

  createThread(parent: FakeChannel, name: string, id: string): FakeChannel {
    const thread: FakeChannel = {
      id,
      type: 11,
      name: name.slice(0, 100),
      guild_id: parent.guild_id,
      parent_id: parent.id,
      owner_id: this.bot.id,
      thread_metadata: {
        archived: false,
        auto_archive_duration: 1440,
        archive_timestamp: new Date().toISOString(),
        locked: false,
      },
      last_message_id: null,
    };
    this.threads.set(id, thread);
    this.dispatch('THREAD_CREATE', { ...thread, newly_created: true, member_count: 1, message_count: 0 });
    return thread;
  }

  /** Discord sends the bot its own messages over the gateway; a bot must ignore them. */
  echo(message: FakeMessage): void {
    this.dispatch('MESSAGE_CREATE', {
      ...messageJson(message),
      channel_type: this.channel(message.channel_id)?.type ?? 0,
    });
  }
}
