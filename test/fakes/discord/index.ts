/**
 * A fake Discord (REST API v10 + gateway WebSocket) on an ephemeral port, for the real
 * discord.js client: `new Client({ rest: { api: fake.url, retries: 0 } })`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGateway, type GatewayOptions, Intent } from './gateway.js';
import { createRestHandler, type RecordedCall } from './rest.js';
import { type FakeMessage, type FakeUser, makeUser, messageJson, pingsOf, snowflake } from './state.js';
import { FakeDiscordWorld, type WorldOptions } from './world.js';

export { DEFAULT_BOT_PERMISSIONS, Perm } from './state.js';
export { type FakeMessage, type FakeUser, Intent, makeUser, pingsOf, type RecordedCall, snowflake };

export interface FakeDiscordOptions extends Partial<WorldOptions>, GatewayOptions {}

export interface UserContext {
  user: FakeUser;
  /** Role ids the member has in the guild. */
  roles?: string[];
}

export type FakeDiscord = Awaited<ReturnType<typeof startFakeDiscord>>;

export async function startFakeDiscord(options: FakeDiscordOptions = {}) {
  const world = new FakeDiscordWorld({ token: options.token ?? 'fake-bot-token', ...options });
  const rest = createRestHandler(world);
  const gateway = createGateway(world, options);
  world.dispatch = gateway.dispatch;
  const server = createServer((req, res) => {
    rest.handle(req, res).catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  let refuseUntil = 0;
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').startsWith('/gateway') && Date.now() >= refuseUntil)
      gateway.upgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  world.gatewayUrl = `ws://127.0.0.1:${port}/gateway`;

  const guild = world.guilds[0];
  if (!guild) throw new Error('fake discord needs a guild');
  const firstChannel = guild.channels[0];
  if (!firstChannel) throw new Error('fake discord needs a channel');

  function memberJson(ctx: UserContext) {
    return {
      user: ctx.user,
      roles: ctx.roles ?? [],
      joined_at: new Date().toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      permissions: '0',
    };
  }

  function channelGuildId(channelId: string): string | undefined {
    return world.channel(channelId)?.guild_id;
  }

  /** A person posts a message (as Discord dispatches it as MESSAGE_CREATE). */
  function postMessage(ctx: UserContext & { channelId?: string; content: string; mentionBot?: boolean }): {
    message: FakeMessage;
    payload: Record<string, unknown>;
  } {
    const channelId = ctx.channelId ?? firstChannel!.id;
    const guildId = channelGuildId(channelId);
    world.users.set(ctx.user.id, ctx.user);
    const content = ctx.mentionBot ? `<@${world.bot.id}> ${ctx.content}` : ctx.content;
    const message: FakeMessage = {
      id: snowflake(),
      channel_id: channelId,
      ...(guildId ? { guild_id: guildId } : {}),
      author: ctx.user,
      content,
      embeds: [],
      components: [],
      flags: 0,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      revisions: [{ content, embeds: [], components: [], at: Date.now() }],
      deleted: false,
    };
    world.messages.set(message.id, message);
    const payload = {
      ...messageJson(message),
      // Discord sends the channel type so clients can build DM channels they never saw.
      channel_type: world.channel(channelId)?.type ?? 0,
      mentions: ctx.mentionBot ? [world.bot] : [],
      ...(guildId ? { member: { ...memberJson(ctx), user: undefined } } : {}),
    };
    gateway.dispatch('MESSAGE_CREATE', payload);
    return { message, payload };
  }

  function newInteraction(type: number, channelId: string, extra: { messageId?: string }) {
    const id = snowflake();
    const token = `itok_${id}`;
    world.interactions.set(id, { id, token, type, channelId, createdAt: Date.now(), ...extra });
    return { id, token };
  }

  function interactionBase(ctx: UserContext, channelId: string, id: string, token: string, type: number) {
    const channel = world.channel(channelId);
    const guildId = channel?.guild_id;
    return {
      id,
      application_id: world.applicationId,
      type,
      token,
      version: 1,
      channel_id: channelId,
      channel,
      ...(guildId ? { guild_id: guildId, member: memberJson(ctx) } : { user: ctx.user }),
      app_permissions: '0',
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: {},
      context: guildId ? 0 : 1,
    };
  }

  /** A person runs a slash command. */
  function runCommand(
    ctx: UserContext & {
      channelId?: string;
      name: string;
      options?: Record<string, string | number | boolean>;
    },
  ) {
    const channelId = ctx.channelId ?? firstChannel!.id;
    world.users.set(ctx.user.id, ctx.user);
    const { id, token } = newInteraction(2, channelId, {});
    const optionType = (v: unknown) => (typeof v === 'number' ? 4 : typeof v === 'boolean' ? 5 : 3);
    const payload = {
      ...interactionBase(ctx, channelId, id, token, 2),
      data: {
        id: snowflake(),
        name: ctx.name,
        type: 1,
        options: Object.entries(ctx.options ?? {}).map(([name, value]) => ({
          name,
          type: optionType(value),
          value,
        })),
      },
    };
    gateway.dispatch('INTERACTION_CREATE', payload);
    return { id, token, payload };
  }

  /** A person clicks a button on a message. */
  function clickButton(ctx: UserContext & { messageId: string; customId: string }) {
    const message = world.messages.get(ctx.messageId);
    if (!message) throw new Error(`no message ${ctx.messageId}`);
    const { id, token } = newInteraction(3, message.channel_id, { messageId: message.id });
    const payload = {
      ...interactionBase(ctx, message.channel_id, id, token, 3),
      message: messageJson(message),
      data: { custom_id: ctx.customId, component_type: 2 },
    };
    gateway.dispatch('INTERACTION_CREATE', payload);
    return { id, token, payload };
  }

  /** A person adds a reaction to a message. */
  function react(ctx: UserContext & { messageId: string; emoji: string }) {
    const message = world.messages.get(ctx.messageId);
    if (!message) throw new Error(`no message ${ctx.messageId}`);
    const payload = {
      user_id: ctx.user.id,
      channel_id: message.channel_id,
      message_id: message.id,
      ...(message.guild_id ? { guild_id: message.guild_id, member: memberJson(ctx) } : {}),
      message_author_id: message.author.id,
      emoji: { id: null, name: ctx.emoji },
      type: 0,
      burst: false,
      burst_colors: [],
    };
    gateway.dispatch('MESSAGE_REACTION_ADD', payload);
    return payload;
  }

  return {
    /** Base for discord.js `rest.api` (discord.js appends `/v10`). */
    url: `http://127.0.0.1:${port}/api`,
    gatewayUrl: world.gatewayUrl,
    token: world.token,
    bot: world.bot,
    applicationId: world.applicationId,
    guild,
    channel: firstChannel,
    world,
    calls: rest.calls,
    identifies: gateway.identifies,
    get heartbeats() {
      return gateway.heartbeats;
    },
    get connections() {
      return gateway.connectionCount;
    },
    rateLimit: rest.rateLimit,
    /** A gateway outage: every connection dropped, new ones refused for `ms`. */
    gatewayOutage(ms: number): void {
      refuseUntil = Date.now() + ms;
      gateway.dropAll();
    },
    dispatch: gateway.dispatch,
    postMessage,
    runCommand,
    clickButton,
    react,
    dmChannel: (user: FakeUser) => world.dmChannel(user),
    /** Messages in a channel or thread, oldest first (deleted ones left out). */
    messagesIn(channelId: string): FakeMessage[] {
      return [...world.messages.values()].filter((m) => m.channel_id === channelId && !m.deleted);
    },
    /** Messages the bot posted in a channel or thread, oldest first. */
    botMessagesIn(channelId: string): FakeMessage[] {
      return this.messagesIn(channelId).filter((m) => m.author.id === world.bot.id);
    },
    thread(id: string) {
      return world.threads.get(id);
    },
    threads: () => [...world.threads.values()],
    interaction: (id: string) => world.interactions.get(id),
    commands: world.commands,
    async close(): Promise<void> {
      gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
