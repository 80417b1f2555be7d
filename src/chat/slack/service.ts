/**
 * `createSlackService`: the Slack front door as a `Service`. Socket Mode when an app token is
 * given, else the HTTP Events API on the shared Hono app (`/slack/events`). Bolt does the
 * protocol; handlers (handlers.ts) turn input into session events; one renderer per bound
 * session draws the log into its thread (renderer.ts).
 */
import { App, type Logger as BoltLogger, LogLevel } from '@slack/bolt';
import type { Hono } from 'hono';
import type { Logger } from '../../logging.js';
import type { BindingWatch, Runtime, Service } from '../../runtime/types.js';
import { createDeduper, createRecordStore } from '../core/records.js';
import { createSlackApi, type SlackApi, webClientOptions } from './api.js';
import { ACTION_APPROVE, ACTION_DENY, ACTION_STOP } from './blocks.js';
import { SlackConfig, type SlackConfigInput } from './config.js';
import { createHandlers, type SlackHandlers, type SlackMessage } from './handlers.js';
import { createHonoReceiver, type HonoReceiver } from './http-receiver.js';
import { createThreadRenderer, type ThreadRenderer, type ThreadTarget } from './renderer.js';

export interface SlackServiceOptions {
  runtime: Runtime;
  logger: Logger;
  botToken: string;
  /** `xapp-…`: Socket Mode. Without it, the HTTP Events API (needs `signingSecret` and `app`). */
  appToken?: string;
  signingSecret?: string;
  /** Web API base (SLACK_API_URL), e.g. for GovSlack or a proxy. */
  apiUrl?: string;
  /** The shared HTTP app; `/slack/events` is mounted on it in HTTP mode. */
  app?: Hono;
  /** Channels (agent/environment, approvers, allowlist), reactions, render tuning. */
  config?: SlackConfigInput;
  /** How often to look for threads bound through the API by other processes (default 1 s). */
  bindingPollMs?: number;
}

export interface SlackService extends Service {
  /** Resolves when every renderer has drawn what it knows (tests, benchmarks). */
  settled(): Promise<void>;
  /** Web API calls made by the renderer and handlers so far. */
  readonly stats: { calls: number; rateLimited: number };
}

/** pino behind bolt's Logger interface (vendor edge). */
function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => logger.debug({ msg: msg.map(String).join(' ') }),
    info: (...msg: unknown[]) => logger.info({ msg: msg.map(String).join(' ') }),
    warn: (...msg: unknown[]) => logger.warn({ msg: msg.map(String).join(' ') }),
    error: (...msg: unknown[]) => logger.error({ msg: msg.map(String).join(' ') }),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

export function createSlackService(options: SlackServiceOptions): SlackService {
  const config = SlackConfig.parse(options.config ?? {});
  const logger = options.logger.child({ service: 'slack' });
  const { runtime } = options;
  const kv = runtime.stores.kv;
  if (!options.appToken && !options.signingSecret) {
    throw new Error('Slack needs SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP Events API).');
  }
  const api: SlackApi = createSlackApi({ botToken: options.botToken, apiUrl: options.apiUrl, logger });
  let receiver: HonoReceiver | undefined;
  if (!options.appToken) {
    if (!options.app) throw new Error('The Slack HTTP Events API needs the shared HTTP app.');
    receiver = createHonoReceiver({ signingSecret: options.signingSecret!, logger });
    receiver.mount(options.app);
  }

  const renderers = new Map<string, ThreadRenderer>();
  const active = createRecordStore<Record<string, ThreadTarget>>(kv, 'slack:active');
  // Read-modify-write of the active map, one at a time.
  let activeChain: Promise<unknown> = Promise.resolve();
  const updateActive = (
    change: (all: Record<string, ThreadTarget>) => Record<string, ThreadTarget> | null,
  ) => {
    activeChain = activeChain
      .then(async () => {
        const next = change((await active.get('all')) ?? {});
        if (next) await active.set('all', next);
      })
      .catch((err: unknown) => logger.warn({ err }, 'could not update the active Slack threads'));
    return activeChain;
  };
  const streaming = { refused: false };
  const messagesStore = createRecordStore<{ sessionId: string; toolUseId?: string }>(kv, 'slack:msg');
  let bolt: App | null = null;
  let handlers: SlackHandlers | null = null;
  let bindingWatch: BindingWatch | null = null;
  let ready: string | null = 'slack: not started';

  const modelFor = async (sessionId: string) => {
    const session = await runtime.stores.log.getSession(sessionId);
    const agent = session
      ? await runtime.catalog.getAgent(session.agent_id, session.agent_version)
      : undefined;
    const model = agent?.config.model;
    return typeof model === 'string' ? model : model?.id;
  };

  const render = (target: ThreadTarget): void => {
    if (renderers.has(target.sessionId)) return;
    const renderer = createThreadRenderer(target, {
      api,
      kv,
      log: runtime.stores.log,
      logger,
      render: config.render,
      reactions: config.reactions,
      modelFor,
      prices: runtime.prices,
      streaming,
      rememberMessage: (channel, ts, info) => messagesStore.set(`${channel}:${ts}`, info),
      onEnded: (sessionId) => {
        renderers.delete(sessionId);
        void updateActive(({ [sessionId]: _gone, ...rest }) => rest);
      },
    });
    renderers.set(target.sessionId, renderer);
    renderer.start();
    void updateActive((all) => (all[target.sessionId] ? null : { ...all, [target.sessionId]: target }));
  };

  const wire = (app: App, h: SlackHandlers): void => {
    const eventId = (body: unknown) => (body as { event_id?: string }).event_id;
    app.event('app_mention', async ({ event, body }) => {
      await h.message({ ...(event as unknown as SlackMessage) }, eventId(body), true);
    });
    app.event('message', async ({ event, body }) => {
      await h.message(event as unknown as SlackMessage, eventId(body), false);
    });
    app.event('reaction_added', async ({ event, body }) => {
      await h.reaction(event, eventId(body));
    });
    const actionContext = (body: unknown) => {
      // vendor edge: block_actions payload shape.
      const b = body as {
        user: { id: string };
        channel?: { id: string };
        message?: { ts: string; thread_ts?: string };
      };
      return {
        user: b.user.id,
        channel: b.channel?.id ?? '',
        threadTs: b.message?.thread_ts ?? b.message?.ts,
      };
    };
    app.action(ACTION_STOP, async ({ ack, body, action }) => {
      await ack();
      const a = actionContext(body);
      await h.stopButton((action as { value?: string }).value ?? '', a.user, a.channel, a.threadTs);
    });
    for (const [id, allow] of [
      [ACTION_APPROVE, true],
      [ACTION_DENY, false],
    ] as const) {
      app.action(id, async ({ ack, body, action }) => {
        await ack();
        const a = actionContext(body);
        await h.approvalButton(
          (action as { value?: string }).value ?? '',
          a.user,
          a.channel,
          allow,
          a.threadTs,
        );
      });
    }
    app.command('/threadhand', async ({ ack, command }) => {
      // Answer within Slack's 3 s: the task itself starts after the ack.
      const word = command.text.trim().toLowerCase();
      if (['', 'help', 'list', 'status', 'stop'].includes(word)) {
        await ack({ response_type: 'ephemeral', text: await h.command(command) });
        return;
      }
      await ack({ response_type: 'ephemeral', text: 'Starting a session in a new thread…' });
      await h.command(command);
    });
    app.error(async (error) => {
      logger.error({ err: error }, 'slack handler failed');
    });
  };

  return {
    name: 'slack',
    stats: api.stats,
    notReady: () => ready,
    async start() {
      const auth = await api.call('*', 'auth.test', {});
      const bot = {
        userId: String(auth.user_id),
        botId: String(auth.bot_id ?? ''),
        team: String(auth.team_id ?? ''),
        ...(typeof auth.url === 'string' && auth.url.startsWith('https://') ? { url: auth.url } : {}),
      };
      handlers = createHandlers({
        runtime,
        api,
        config,
        logger,
        kv,
        dedupe: createDeduper(runtime.stores.claims, 'slack:dedupe'),
        bot,
        render,
      });
      const common = {
        token: options.botToken,
        botId: bot.botId,
        botUserId: bot.userId,
        clientOptions: webClientOptions(options.apiUrl),
        logger: boltLogger(logger),
      };
      bolt = options.appToken
        ? new App({ ...common, appToken: options.appToken, socketMode: true })
        : new App({ ...common, receiver });
      wire(bolt, handlers);
      await bolt.start();
      // Threads that were being drawn when the process stopped continue where they were.
      for (const target of Object.values((await active.get('all')) ?? {})) render(target);
      // Sessions bound to a Slack thread elsewhere (the API, maybe in another process) are drawn
      // here too: the runtime announces them through the shared store.
      const h = handlers;
      bindingWatch = runtime.watchBindings('slack', (binding) => h.adopt(binding), {
        ...(options.bindingPollMs ? { pollMs: options.bindingPollMs } : {}),
      });
      ready = null;
      logger.info({ mode: options.appToken ? 'socket' : 'http', team: bot.team }, 'slack front door started');
    },
    async stop() {
      ready = 'slack: stopped';
      bindingWatch?.stop();
      bindingWatch = null;
      await Promise.all([...renderers.values()].map((r) => r.stop()));
      renderers.clear();
      await bolt?.stop();
    },
    async settled() {
      await Promise.all([...renderers.values()].map((r) => r.settled()));
    },
  };
}
