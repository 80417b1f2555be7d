/**
 * Draws one session into its Discord thread: streamed text (edited in place, split at 2000
 * characters), tool cards as embeds updated in place, buttons, a typing indicator while the
 * agent thinks, and a footer per turn. Resumable and idempotent: what was posted for which
 * view item is recorded in KV right after each call, so a restart edits the same messages
 * instead of posting again.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../logging.js';
import type { KV, SessionLog } from '../../store/types.js';
import type { PriceTable } from '../../usage/prices.js';
import {
  type ChannelScheduler,
  createRecordStore,
  createThrottle,
  followSessionView,
  type LogItem,
  type SessionView,
  type TextItem,
  type ToolItem,
  type TurnView,
} from '../core/index.js';
import { type MessageBody, NO_PINGS, stopRow, toolCard, turnFooter } from './format.js';
import { splitMessage } from './split.js';

/** The Discord calls a renderer makes (implemented over discord.js REST by the service). */
export interface DiscordIO {
  post(channelId: string, body: MessageBody): Promise<string>;
  edit(channelId: string, messageId: string, body: MessageBody): Promise<void>;
  typing(channelId: string): Promise<void>;
}

/** What a posted message shows, so reactions on it can be bound to the exact tool call. */
export interface MessageRef {
  sessionId: string;
  toolUseId?: string;
}

interface TextRecord {
  ids: string[];
  /** Hash of what each message shows now. */
  sent: string[];
}
interface ToolRecord {
  id: string;
  revision: number;
}
interface Progress {
  /** The end event of the last turn drawn completely; reading resumes after it. */
  after?: string;
}

export interface ThreadRendererOptions {
  sessionId: string;
  channelId: string;
  log: SessionLog;
  kv: KV;
  io: DiscordIO;
  scheduler: ChannelScheduler;
  logger: Logger;
  /** Minimum time between redraws of a streaming answer. */
  throttleMs: number;
  /** The agent's model, for the cost estimate in the footer. */
  model?: string;
  /** The effective price table for that estimate (default: the shipped one). */
  prices?: PriceTable;
  typingEveryMs?: number;
}

export interface ThreadRenderer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

const hash = (text: string) => createHash('sha1').update(text).digest('base64url').slice(0, 16);

export function messageIndex(kv: KV) {
  return createRecordStore<MessageRef>(kv, 'discord:msg', 30 * 24 * 3600_000);
}

export function createThreadRenderer(options: ThreadRendererOptions): ThreadRenderer {
  const { sessionId, channelId, io, scheduler, logger } = options;
  const records = createRecordStore<unknown>(options.kv, `discord:render:${sessionId}`);
  const messages = messageIndex(options.kv);
  const controller = new AbortController();
  const log = logger.child({ sessionId, thread: channelId });
  let view: SessionView | null = null;
  let running: Promise<unknown> | null = null;
  let lastTyping = 0;
  let typingTimer: NodeJS.Timeout | null = null;
  const typingEvery = options.typingEveryMs ?? 8000;

  const call = <T>(task: () => Promise<T>) => scheduler.run(channelId, task);

  async function drawText(item: TextItem): Promise<void> {
    if (!item.text.trim()) return;
    const key = `text:${item.key}`;
    const record = ((await records.get(key)) as TextRecord | undefined) ?? { ids: [], sent: [] };
    const chunks = splitMessage(item.text);
    for (const [i, content] of chunks.entries()) {
      const withStop = !item.final && i === chunks.length - 1;
      const body: MessageBody = {
        content,
        components: withStop ? [stopRow(sessionId)] : [],
        allowed_mentions: NO_PINGS,
      };
      const signature = hash(`${content}\u0000${withStop}`);
      const id = record.ids[i];
      if (id === undefined) {
        record.ids[i] = await call(() => io.post(channelId, body));
        record.sent[i] = signature;
        await records.set(key, record);
        await messages.set(record.ids[i] as string, { sessionId });
      } else if (record.sent[i] !== signature) {
        await call(() => io.edit(channelId, id, body));
        record.sent[i] = signature;
        await records.set(key, record);
      }
    }
  }

  async function drawTool(tool: ToolItem): Promise<void> {
    const key = `tool:${tool.key}`;
    const record = (await records.get(key)) as ToolRecord | undefined;
    if (record?.revision === tool.revision) return;
    // The view keeps changing while we await Discord: record what was actually sent, and when
    // the status moved on meanwhile (done, failed), edit again before drawing what follows.
    let id = record?.id;
    for (let drawn: string | undefined; drawn !== tool.status; ) {
      const revision = tool.revision;
      drawn = tool.status;
      const body = toolCard(sessionId, tool);
      if (id === undefined) {
        const posted = await call(() => io.post(channelId, body));
        id = posted;
        await records.set(key, { id: posted, revision } satisfies ToolRecord);
        await messages.set(posted, { sessionId, toolUseId: tool.toolUseId });
      } else {
        const target = id;
        await call(() => io.edit(channelId, target, body));
        await records.set(key, { id: target, revision } satisfies ToolRecord);
      }
    }
  }

  async function drawFooter(turn: TurnView): Promise<void> {
    const key = `footer:${turn.turnId}`;
    if (await records.get(key)) return;
    const id = await call(() => io.post(channelId, turnFooter(turn, options.model, options.prices)));
    await records.set(key, id);
    await messages.set(id, { sessionId });
  }

  async function draw(): Promise<void> {
    if (!view) return;
    let contiguous = true;
    for (const turn of view.state.turns) {
      // The view changes while we await Discord; decide on the footer from the state the
      // items were drawn from, so the footer never lands before the turn's final edits.
      const ended = turn.state !== 'running';
      let complete = ended;
      for (const item of turn.items) {
        if (item.kind === 'text') {
          await drawText(item);
          if (!item.final) complete = false;
        } else {
          await drawTool(item);
          if (item.status === 'running' || item.status === 'pending_approval') complete = false;
        }
      }
      if (ended) await drawFooter(turn);
      // Resume reading after a turn only when it and every turn before it are fully drawn.
      if (contiguous && complete && turn.endEventId) {
        const progress = (await records.get('progress')) as Progress | undefined;
        if (!progress?.after || progress.after < turn.endEventId) {
          await records.set('progress', { after: turn.endEventId } satisfies Progress);
        }
      } else {
        contiguous = false;
      }
    }
    await maybeTyping();
  }

  async function maybeTyping(): Promise<void> {
    const activity = view?.state.activity.kind;
    const turn = view?.currentTurn();
    const busy = turn?.state === 'running' && (activity === 'thinking' || activity === 'tool');
    if (!busy || Date.now() - lastTyping < typingEvery) return;
    lastTyping = Date.now();
    await call(() => io.typing(channelId)).catch((error: unknown) =>
      log.debug({ err: error }, 'typing failed'),
    );
  }

  const throttle = createThrottle(draw, options.throttleMs, (error) =>
    log.warn({ err: error }, 'discord draw failed'),
  );

  // Structural changes (a new turn, a tool, the end) are drawn at once; text growth is throttled.
  const structural = (item: LogItem) => item.kind === 'event' && item.event.type !== 'agent.message';

  return {
    async start() {
      const progress = (await records.get('progress')) as Progress | undefined;
      running = followSessionView({
        log: options.log,
        sessionId,
        ...(progress?.after ? { after: progress.after } : {}),
        signal: controller.signal,
        onChange: (current, item) => {
          view = current;
          throttle.poke({ immediate: structural(item) });
        },
        onCaughtUp: (current) => {
          view = current;
          throttle.poke({ immediate: true });
        },
      }).catch((error: unknown) => log.error({ err: error }, 'following the session failed'));
      typingTimer = setInterval(() => void maybeTyping(), Math.max(1000, typingEvery / 2));
      typingTimer.unref();
    },
    async stop() {
      controller.abort();
      if (typingTimer) clearInterval(typingTimer);
      await running;
      await throttle.flush().catch(() => undefined);
      await throttle.cancel();
    },
  };
}
