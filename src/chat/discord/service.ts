/**
 * The Discord front door: a gateway bot (discord.js 14) that turns mentions, DMs and slash
 * commands into sessions bound to threads, and draws each session into its thread.
 */
import {
  type APIMessage,
  Client,
  Events,
  GatewayIntentBits,
  Partials,
  type RESTOptions,
  Routes,
  Status,
} from 'discord.js';
import { modelId } from '../../config/schema.js';
import type { Logger } from '../../logging.js';
import type { BindingWatch, Runtime, Service } from '../../runtime/types.js';
import type { KV } from '../../store/types.js';
import { createChannelScheduler, createDeduper } from '../core/index.js';
import { DiscordConfig, type DiscordConfigInput } from './config.js';
import { bindingStore, type DiscordContext, messageIndex, type SessionBinding } from './context.js';
import { handleMessage, handleReaction } from './inbound.js';
import { handleInteraction } from './interactions.js';
import { createLeadership } from './leader.js';
import { createThreadRenderer, type DiscordIO, type ThreadRenderer } from './render.js';

/** Gateway intents the bot asks for (Message Content is privileged: enable it in the portal). */
export const DISCORD_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.GuildMessageReactions,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.DirectMessageReactions,
];

export interface DiscordServiceOptions {
  runtime: Runtime;
  logger: Logger;
  token: string;
  /** REST base, e.g. `http://127.0.0.1:PORT/api` (discord.js adds `/v10`); the gateway URL comes from it. */
  apiUrl?: string;
  kv: KV;
  config?: DiscordConfigInput;
  /** Extra REST options (tests pass `{ retries: 0 }`). */
  rest?: Partial<Pick<RESTOptions, 'retries' | 'timeout'>>;
  /** How often the gateway holder looks for threads bound through the API by other processes (default 1 s). */
  bindingPollMs?: number;
}

export interface DiscordService extends Service {
  /** The discord.js client (after `start`). */
  readonly client: Client | null;
}

const ACTIVE_KEY = 'discord:active';

export function createDiscordService(options: DiscordServiceOptions): DiscordService {
  const config = DiscordConfig.parse(options.config ?? {});
  const { runtime, kv } = options;
  const logger = options.logger.child({ service: 'discord' });
  const renderers = new Map<string, ThreadRenderer>();
  const bindings = bindingStore(kv);
  const scheduler = createChannelScheduler({
    minIntervalMs: config.channelIntervalMs,
    onRateLimited: (channel, ms) => logger.warn({ channel, ms }, 'discord channel paused by a rate limit'),
  });
  let client: Client | null = null;
  let ready = false;
  let bindingWatch: BindingWatch | null = null;

  const io: DiscordIO = {
    async post(channelId, body) {
      const message = (await requireClient().rest.post(Routes.channelMessages(channelId), {
        body,
      })) as APIMessage;
      return message.id;
    },
    async edit(channelId, messageId, body) {
      await requireClient().rest.patch(Routes.channelMessage(channelId, messageId), { body });
    },
    async typing(channelId) {
      await requireClient().rest.post(Routes.channelTyping(channelId));
    },
  };

  function requireClient(): Client {
    if (!client) throw new Error('The Discord service is not started.');
    return client;
  }

  async function modelOf(sessionId: string): Promise<string | undefined> {
    const session = await runtime.stores.log.getSession(sessionId);
    if (!session) return undefined;
    const agent = await runtime.catalog
      .getAgent(session.agent_id, session.agent_version)
      .catch(() => undefined);
    return agent ? modelId(agent.config) : undefined;
  }

  async function draw(binding: SessionBinding): Promise<void> {
    if (renderers.has(binding.sessionId)) return;
    const renderer = createThreadRenderer({
      sessionId: binding.sessionId,
      channelId: binding.channelId,
      log: runtime.stores.log,
      kv,
      io,
      scheduler,
      logger,
      throttleMs: config.throttleMs,
      model: await modelOf(binding.sessionId),
      prices: runtime.prices,
    });
    if (renderers.has(binding.sessionId)) return;
    renderers.set(binding.sessionId, renderer);
    await renderer.start();
  }

  async function markActive(sessionId: string): Promise<void> {
    const active = ((await kv.get(ACTIVE_KEY)) as string[] | undefined) ?? [];
    if (!active.includes(sessionId)) await kv.set(ACTIVE_KEY, [...active, sessionId]);
  }

  /**
   * Draws a session bound to a thread from outside (the API: `<guild>:<thread>` or a bare
   * thread id) as if it had started here. Its starter is the binding's `threadhand.user_id`.
   */
  async function adopt(sessionId: string, thread: string): Promise<SessionBinding | undefined> {
    const session = await runtime.stores.log.getSession(sessionId);
    if (!session) return undefined;
    const match = /^([^:]+):([^:]+)$/.exec(thread);
    const channelId = match ? (match[2] as string) : thread;
    // Already drawn (started here, or taken before): it stays in that thread.
    const existing = await bindings.get(sessionId);
    if (existing) {
      await draw(existing);
      return existing;
    }
    const binding: SessionBinding = {
      sessionId,
      channelId,
      guildId: match ? (match[1] as string) : (session.metadata['discord.guild'] ?? null),
      starterId: session.metadata['discord.starter'] ?? '',
    };
    await bindings.set(sessionId, binding);
    await markActive(sessionId);
    await draw(binding);
    logger.info({ sessionId, thread: channelId }, 'discord thread bound to a session');
    return binding;
  }

  const ctx: Omit<DiscordContext, 'client'> = {
    runtime,
    logger,
    kv,
    config,
    deliveries: createDeduper(runtime.stores.claims, 'discord:delivery'),
    bindings,
    messages: messageIndex(kv),
    async startSession({ channelId, guildId, starter, prompt, url }) {
      const session = await runtime.createSession({
        ...(config.agent ? { agent: config.agent } : {}),
        ...(config.environment ? { environment: config.environment } : {}),
        title: prompt.split('\n')[0]?.slice(0, 120) ?? null,
        binding: { platform: 'discord', thread: channelId, ...(url ? { url } : {}) },
        metadata: { 'discord.starter': starter.user_id, ...(guildId ? { 'discord.guild': guildId } : {}) },
      });
      const binding: SessionBinding = {
        sessionId: session.id,
        channelId,
        guildId,
        starterId: starter.user_id,
      };
      await bindings.set(session.id, binding);
      await markActive(session.id);
      await draw(binding);
      // Sent after the renderer follows, so the first words are drawn as they stream.
      await runtime.send(
        session.id,
        [{ type: 'user.message', content: [{ type: 'text', text: prompt }] }],
        starter,
      );
      logger.info({ sessionId: session.id, thread: channelId }, 'discord session started');
      return binding;
    },
    async preflight() {
      const agent = config.agent ?? runtime.catalog.defaultAgent();
      const environment = config.environment ?? runtime.catalog.defaultEnvironment();
      if (!(await runtime.catalog.getAgent(agent))) {
        throw Object.assign(new Error(`No agent "${agent}": set DISCORD_AGENT to one in agents/.`), {
          code: 'not_found',
        });
      }
      if (!(await runtime.catalog.getEnvironment(environment))) {
        throw Object.assign(
          new Error(
            `No environment "${environment}": set DISCORD_ENVIRONMENT to one in agents/environments/.`,
          ),
          {
            code: 'not_found',
          },
        );
      }
    },
    async sessionIn(channelId, guildId) {
      const cached = client?.channels.cache.get(channelId);
      const guild = guildId ?? (cached && 'guildId' in cached ? cached.guildId : null);
      let thread = channelId;
      let sessionId = await runtime.sessionForThread({ platform: 'discord', thread });
      if (!sessionId && guild) {
        thread = `${guild}:${channelId}`;
        sessionId = await runtime.sessionForThread({ platform: 'discord', thread });
      }
      if (!sessionId) return undefined;
      const binding = await bindings.get(sessionId);
      if (binding) {
        await draw(binding);
        return binding;
      }
      // Bound through the API and not drawn yet (its announcement is on its way): take it now.
      return adopt(sessionId, thread);
    },
  };

  const guard = (what: string, task: () => Promise<void>) => {
    task().catch((error: unknown) => logger.error({ err: error }, `discord: handling ${what} failed`));
  };

  /** Connects to the gateway and resumes drawing bound sessions (as the lease holder). */
  async function connect(): Promise<void> {
    const c = new Client({
      intents: DISCORD_INTENTS,
      // Partials let DMs and reactions on messages sent before a restart reach us.
      partials: [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User, Partials.GuildMember],
      allowedMentions: { parse: [], repliedUser: false },
      rest: { ...(options.apiUrl ? { api: options.apiUrl } : {}), ...options.rest },
    });
    client = c;
    const full: DiscordContext = { ...ctx, client: c };
    c.on(Events.MessageCreate, (message) => guard('a message', () => handleMessage(full, message)));
    c.on(Events.InteractionCreate, (interaction) =>
      guard('an interaction', () => handleInteraction(full, interaction)),
    );
    c.on(Events.MessageReactionAdd, (reaction, user) =>
      guard('a reaction', () => handleReaction(full, reaction, user)),
    );
    c.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
    c.rest.on('rateLimited', (info) =>
      logger.warn(
        { route: info.route, retryAfter: info.retryAfter, global: info.global },
        'discord REST rate limited',
      ),
    );
    const readyPromise = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Discord gateway not ready after ${config.readyTimeoutMs} ms.`)),
        config.readyTimeoutMs,
      );
      c.once(Events.ClientReady, () => {
        clearTimeout(timer);
        resolve();
      });
    });
    try {
      await c.login(options.token);
      await readyPromise;
    } catch (error) {
      await c.destroy();
      client = null;
      const code = (error as { code?: string }).code;
      if (code === 'TokenInvalid')
        throw new Error('DISCORD_TOKEN was refused by Discord: check the bot token.');
      if (code === 'DisallowedIntents') {
        throw new Error(
          'Discord refused the gateway intents: enable Message Content in the Developer Portal.',
        );
      }
      throw error;
    }
    ready = true;
    logger.info({ user: c.user?.tag, guilds: c.guilds.cache.size }, 'discord connected');
    const active = ((await kv.get(ACTIVE_KEY)) as string[] | undefined) ?? [];
    const keep: string[] = [];
    for (const sessionId of active) {
      const binding = await bindings.get(sessionId);
      const session = binding ? await runtime.stores.log.getSession(sessionId) : undefined;
      if (!binding || !session) continue;
      // A terminated session still gets its last turn drawn, then is not followed again.
      if (session.status !== 'terminated') keep.push(sessionId);
      await draw(binding);
    }
    if (keep.length !== active.length) await kv.set(ACTIVE_KEY, keep);
    // Threads bound through the API (maybe in another process) are drawn by the gateway holder.
    bindingWatch = runtime.watchBindings(
      'discord',
      async (announced) => {
        await adopt(announced.sessionId, announced.thread);
        return true;
      },
      options.bindingPollMs ? { pollMs: options.bindingPollMs } : {},
    );
  }

  async function disconnect(): Promise<void> {
    ready = false;
    bindingWatch?.stop();
    bindingWatch = null;
    await Promise.all([...renderers.values()].map((r) => r.stop()));
    renderers.clear();
    await client?.destroy();
    client = null;
  }

  const leadership = createLeadership({
    leases: runtime.stores.leases,
    key: 'discord:gateway',
    ttlMs: config.gatewayLeaseTtlMs,
    logger,
    onLead: connect,
    onLose: disconnect,
  });

  return {
    name: 'discord',
    get client() {
      return client;
    },
    async start() {
      await leadership.start();
      if (!leadership.leading) logger.info('discord: another process holds the gateway; standing by');
    },
    async stop() {
      await leadership.stop();
      await disconnect();
    },
    notReady() {
      // A standby front is healthy: it takes over when the holder goes away.
      if (!leadership.leading) return null;
      if (!ready) return 'discord: connecting to the gateway';
      // discord.js reconnects on its own after a drop; until then nothing arrives.
      const down = client?.ws.shards.find((shard) => shard.status !== Status.Ready);
      return down === undefined
        ? null
        : `discord: gateway connection lost (${Status[down.status] ?? down.status}); reconnecting`;
    },
  };
}
