/**
 * Draws one session into one Slack thread: follows the log (with deltas), and reconciles the
 * view with what KV says was posted. Text streams with chat.startStream/appendStream/stopStream
 * (post + update when Slack refuses streaming), tool calls are Block Kit cards updated in
 * place, usage goes in the footer. Every platform call is followed by a KV record write, so
 * a renderer that restarts continues the same messages instead of posting again.
 */
import type { Logger } from '../../logging.js';
import type { KV, SessionLog } from '../../store/types.js';
import type { PriceTable } from '../../usage/prices.js';
import { followSessionView } from '../core/follow.js';
import { createRecordStore, type RecordStore } from '../core/records.js';
import { createThrottle, type Throttle } from '../core/scheduler.js';
import { splitAt } from '../core/summary.js';
import type { Activity, TextItem, ToolItem, TurnView } from '../core/types.js';
import { formatUsage } from '../core/usage.js';
import type { SessionView } from '../core/view.js';
import { type SlackApi, SlackApiError } from './api.js';
import { stillWorkingBlocks, toolCardBlocks, toolCardFallback, usageBlocks } from './blocks.js';
import type { SlackReactions, SlackRenderConfig } from './config.js';

export interface ThreadTarget {
  sessionId: string;
  team: string;
  channel: string;
  threadTs: string;
  /** Who the stream is for (Slack requires it outside DMs): the session's starter. */
  recipientUserId?: string;
}

export interface RendererDeps {
  api: SlackApi;
  kv: KV;
  log: SessionLog;
  logger: Logger;
  render: SlackRenderConfig;
  reactions: SlackReactions;
  modelFor(sessionId: string): Promise<string | undefined>;
  /** The effective price table for the cost in the footer (default: the shipped one). */
  prices?: PriceTable;
  /** Maps a posted message to its session (and tool use) for reactions. */
  rememberMessage(
    channel: string,
    ts: string,
    info: { sessionId: string; toolUseId?: string },
  ): Promise<void>;
  /** Shared flag: Slack refused streaming for this workspace; post + update from now on. */
  streaming: { refused: boolean };
  /** Called once the session has ended (terminated or deleted) and everything is drawn. */
  onEnded?(sessionId: string): void;
}

interface TextPart {
  ts: string;
  from: number;
  sent: number;
  open: boolean;
  mode: 'stream' | 'post';
  startedAt: number;
  /** When text was last sent to this message (appends are paced per message). */
  lastAt?: number;
}
interface RenderRecord {
  parts?: TextPart[];
  ts?: string;
  revision?: number;
  done?: boolean;
  renderFrom?: string;
}

export interface ThreadRenderer {
  start(): void;
  /** Stops following; with `flush`, draws what is pending first. */
  stop(options?: { flush?: boolean }): Promise<void>;
  /** Resolves when nothing is pending (for tests and shutdown). */
  settled(): Promise<void>;
}

/** Errors meaning "this workspace/app cannot stream": fall back to post + update for good. */
const STREAM_REFUSALS = new Set([
  'feature_not_enabled',
  'unknown_method',
  'method_deprecated',
  'not_allowed_token_type',
  'missing_scope',
]);
const MAX_CALL_CHARS = 10_000;

export function createThreadRenderer(target: ThreadTarget, deps: RendererDeps): ThreadRenderer {
  const { api, render, logger } = deps;
  const log = logger.child({ sessionId: target.sessionId, thread: `${target.channel}:${target.threadTs}` });
  const store: RecordStore<RenderRecord> = createRecordStore(deps.kv, `slack:render:${target.sessionId}`);
  const cache = new Map<string, RenderRecord>();
  const get = async (key: string): Promise<RenderRecord> => {
    let record = cache.get(key);
    if (!record) {
      record = (await store.get(key)) ?? {};
      cache.set(key, record);
    }
    return record;
  };
  const save = (key: string, record: RenderRecord) => store.set(key, record);

  let view: SessionView | undefined;
  let controller: AbortController | null = null;
  let following: Promise<unknown> | null = null;
  const doneTurns = new Set<string>();
  let statusSent = '';
  let statusTurn = '';
  let activityKey = '';
  let activitySince = 0;
  let statusTimer: NodeJS.Timeout | null = null;
  let quietTimer: NodeJS.Timeout | null = null;
  let model: string | undefined;

  const call = async (method: string, args: Record<string, unknown>) => {
    log.debug({ method }, 'slack call');
    return api.call(target.channel, method, { channel: target.channel, ...args });
  };

  const visible = (): void => {
    statusSent = '';
    armQuiet();
  };
  const armQuiet = (): void => {
    if (quietTimer) clearTimeout(quietTimer);
    quietTimer = setTimeout(() => void stillWorking(), render.stillWorkingMs);
    quietTimer.unref();
  };

  const stillWorking = async (): Promise<void> => {
    const turn = view?.currentTurn();
    if (turn?.state !== 'running') return;
    const key = `notice:${turn.turnId}`;
    const record = await get(key);
    if (record.done) return;
    const minutes = Math.max(1, Math.round(render.stillWorkingMs / 60_000));
    const res = await call('chat.postMessage', {
      thread_ts: target.threadTs,
      text: `Still working. Reply "stop" to interrupt.`,
      blocks: stillWorkingBlocks(target.sessionId, minutes, deps.reactions.interrupt),
    });
    record.done = true;
    record.ts = String(res.ts);
    await save(key, record);
    await deps.rememberMessage(target.channel, String(res.ts), { sessionId: target.sessionId });
  };

  const openPart = async (item: TextItem, record: RenderRecord, from: number): Promise<void> => {
    const chunk = item.text.slice(
      from,
      from + splitAt(item.text.slice(from), Math.min(render.messageMaxChars, MAX_CALL_CHARS)),
    );
    let part: TextPart | undefined;
    if (render.streaming && !deps.streaming.refused) {
      try {
        const res = await call('chat.startStream', {
          thread_ts: target.threadTs,
          markdown_text: chunk,
          ...(target.recipientUserId
            ? { recipient_team_id: target.team, recipient_user_id: target.recipientUserId }
            : {}),
        });
        part = {
          ts: String(res.ts),
          from,
          sent: from + chunk.length,
          open: true,
          mode: 'stream',
          startedAt: Date.now(),
        };
      } catch (error) {
        if (!(error instanceof SlackApiError)) throw error;
        if (STREAM_REFUSALS.has(error.code)) deps.streaming.refused = true;
        log.warn({ code: error.code }, 'slack refused streaming; posting and updating instead');
      }
    }
    if (!part) {
      const res = await call('chat.postMessage', { thread_ts: target.threadTs, text: chunk });
      part = {
        ts: String(res.ts),
        from,
        sent: from + chunk.length,
        open: true,
        mode: 'post',
        startedAt: Date.now(),
      };
    }
    record.parts = [...(record.parts ?? []), part];
    await save(item.key, record);
    visible();
    await deps.rememberMessage(target.channel, part.ts, { sessionId: target.sessionId });
  };

  /** Sends `chunk` as the end of the part (plus the footer), and closes it. */
  const closePart = async (
    item: TextItem,
    record: RenderRecord,
    part: TextPart,
    chunk: string,
    footer: string | null,
  ) => {
    try {
      if (part.mode === 'stream') {
        await call('chat.stopStream', {
          ts: part.ts,
          ...(chunk ? { markdown_text: chunk } : {}),
          ...(footer ? { blocks: usageBlocks(footer) } : {}),
        });
      } else if (chunk || footer) {
        const body = item.text.slice(part.from, part.sent + chunk.length);
        await call('chat.update', { ts: part.ts, text: footer ? `${body}\n\n_${footer}_` : body });
      }
      part.sent += chunk.length;
    } catch (error) {
      if (!(error instanceof SlackApiError) || error.code !== 'message_not_in_streaming_state') throw error;
      log.info('stream expired before it was closed; continuing in a new message');
    }
    part.open = false;
    await save(item.key, record);
    visible();
  };

  /** Draws a text item; `closed` once its last message is finished, `footer` when the footer went with it. */
  const reconcileText = async (
    item: TextItem,
    footerFor: () => string | null,
  ): Promise<{ closed: boolean; footer: boolean }> => {
    const record = await get(item.key);
    for (let guard = 0; guard < 100; guard++) {
      const part = record.parts?.[record.parts.length - 1];
      const total = item.text.length;
      if (!part?.open) {
        if (total > (part?.sent ?? 0)) {
          await openPart(item, record, part?.sent ?? 0);
          // Text that came in meanwhile waits for the throttle, unless the item is finished.
          if (!item.final) return { closed: false, footer: false };
          continue;
        }
        return { closed: !!part && item.final, footer: false };
      }
      const room = render.messageMaxChars - (part.sent - part.from);
      const pending = item.text.slice(part.sent);
      const tooOld = Date.now() - part.startedAt >= render.streamMaxAgeMs;
      if ((tooOld && pending.length > 0) || pending.length >= room) {
        const cap = Math.min(Math.max(room, 0), MAX_CALL_CHARS);
        await closePart(item, record, part, pending.slice(0, splitAt(pending, cap)), null);
        continue;
      }
      if (item.final && pending.length <= MAX_CALL_CHARS) {
        const footer = footerFor();
        await closePart(item, record, part, pending, footer);
        return { closed: true, footer: footer !== null };
      }
      if (pending.length === 0) return { closed: false, footer: false };
      const wait = (part.lastAt ?? part.startedAt) + render.updateIntervalMs - Date.now();
      if (wait > 0) {
        // Urgent redraws (a new card) must not speed up this message's appends.
        setTimeout(() => throttle.poke(), wait).unref();
        return { closed: false, footer: false };
      }
      const chunk = pending.slice(0, MAX_CALL_CHARS);
      try {
        if (part.mode === 'stream') await call('chat.appendStream', { ts: part.ts, markdown_text: chunk });
        else
          await call('chat.update', {
            ts: part.ts,
            text: item.text.slice(part.from, part.sent + chunk.length),
          });
        part.sent += chunk.length;
        part.lastAt = Date.now();
      } catch (error) {
        if (!(error instanceof SlackApiError) || error.code !== 'message_not_in_streaming_state') throw error;
        part.open = false;
      }
      await save(item.key, record);
      visible();
      // Growth waits for the throttle; a finished item is closed right away.
      if (part.open && !item.final) return { closed: false, footer: false };
    }
    return { closed: false, footer: false };
  };

  const reconcileTool = async (tool: ToolItem): Promise<void> => {
    const key = `tool:${tool.toolUseId}`;
    const record = await get(key);
    if (record.ts && record.revision === tool.revision) return;
    // The view changes while a call is in flight: record the revision that was drawn. When the
    // status moved on meanwhile (done, failed), draw again at once, so the card is current
    // before anything after it is drawn; mere output growth waits for the throttle.
    for (let drawn: string | undefined; drawn !== tool.status; ) {
      const revision = tool.revision;
      drawn = tool.status;
      const args = { text: toolCardFallback(tool), blocks: toolCardBlocks(tool, target.sessionId) };
      if (!record.ts) {
        const res = await call('chat.postMessage', { thread_ts: target.threadTs, ...args });
        record.ts = String(res.ts);
        await deps.rememberMessage(target.channel, record.ts, {
          sessionId: target.sessionId,
          toolUseId: tool.toolUseId,
        });
      } else {
        await call('chat.update', { ts: record.ts, ...args });
      }
      record.revision = revision;
      await save(key, record);
      visible();
    }
  };

  const footerLine = (turn: TurnView): string => {
    const notes: string[] = [];
    if (turn.error) notes.push(`:warning: ${turn.error}`);
    if (turn.stopReason?.type === 'requires_action') notes.push('waiting for approval');
    else if (turn.stopReason && turn.stopReason.type !== 'end_turn')
      notes.push(`stopped: ${turn.stopReason.type}`);
    if (turn.state === 'terminated') notes.push('session terminated');
    return [formatUsage(turn.usage, model, deps.prices), ...notes].join(' · ');
  };

  const reconcileTurn = async (turn: TurnView): Promise<boolean> => {
    let footerDone = (await get(`footer:${turn.turnId}`)).done === true;
    let allDrawn = true;
    let lastTextClosed = false;
    for (const item of turn.items) {
      if (item.kind === 'tool') {
        await reconcileTool(item);
        if (item.status === 'running' || item.status === 'pending_approval') allDrawn = false;
        continue;
      }
      // Decided when the message closes: the view keeps changing while calls are in flight.
      const footer = () =>
        turn.endEventId !== null && turn.items[turn.items.length - 1] === item && !footerDone
          ? footerLine(turn)
          : null;
      const result = await reconcileText(item, footer);
      if (result.footer) {
        footerDone = true;
        await save(`footer:${turn.turnId}`, { done: true });
      }
      lastTextClosed = result.closed;
      if (!result.closed) allDrawn = false;
    }
    const ended = turn.endEventId !== null;
    const lastItem = turn.items[turn.items.length - 1];
    if (ended && !footerDone && (lastItem?.kind !== 'text' || lastTextClosed)) {
      const line = footerLine(turn);
      const res = await call('chat.postMessage', {
        thread_ts: target.threadTs,
        text: line,
        blocks: usageBlocks(line),
      });
      footerDone = true;
      await save(`footer:${turn.turnId}`, { done: true, ts: String(res.ts) });
      visible();
    }
    return ended && allDrawn && footerDone && turn.stopReason?.type !== 'requires_action';
  };

  const desiredStatus = (activity: Activity): string => {
    if (activity.kind === 'thinking') return 'is thinking…';
    if (activity.kind === 'tool') return `is running ${activity.name}…`;
    return '';
  };

  const reconcileStatus = async (): Promise<void> => {
    const turn = view?.currentTurn();
    if (!view || !turn) return;
    const running = turn.state === 'running';
    const want = running ? desiredStatus(view.state.activity) : '';
    const key = `${turn.turnId}|${want}`;
    if (key !== activityKey) {
      activityKey = key;
      activitySince = Date.now();
    }
    if (want === statusSent) return;
    const firstOfTurn = running && statusTurn !== turn.turnId;
    const wait = activitySince + render.statusDelayMs - Date.now();
    if (!firstOfTurn && want !== '' && wait > 0) {
      if (statusTimer) clearTimeout(statusTimer);
      statusTimer = setTimeout(() => throttle.poke(), wait);
      statusTimer.unref();
      return;
    }
    if (firstOfTurn) armQuiet();
    statusTurn = turn.turnId;
    try {
      await call('assistant.threads.setStatus', {
        channel_id: target.channel,
        thread_ts: target.threadTs,
        status: want,
      });
    } catch (error) {
      if (!(error instanceof SlackApiError)) throw error;
      log.debug({ code: error.code }, 'assistant.threads.setStatus refused');
    }
    statusSent = want;
  };

  const reconcile = async (): Promise<void> => {
    if (!view) return;
    model ??= await deps.modelFor(target.sessionId);
    let prefixDone = true;
    for (const turn of view.state.turns) {
      if (doneTurns.has(turn.turnId)) continue;
      if (turn.items.length === 0 && turn.state === 'running') await reconcileStatus();
      const done = await reconcileTurn(turn);
      if (done && prefixDone && turn.endEventId) {
        doneTurns.add(turn.turnId);
        await save('session', { renderFrom: turn.endEventId });
      } else prefixDone = false;
    }
    await reconcileStatus();
  };

  const throttle: Throttle = createThrottle(reconcile, render.updateIntervalMs, (error) =>
    log.error({ err: error }, 'slack render failed; will retry on the next change'),
  );

  return {
    start() {
      if (controller) return;
      controller = new AbortController();
      const signal = controller.signal;
      following = (async () => {
        const from = (await store.get('session'))?.renderFrom;
        let known = 0;
        let caughtUp = false;
        await followSessionView({
          log: deps.log,
          sessionId: target.sessionId,
          after: from,
          signal,
          onChange: (current) => {
            view = current;
            if (!caughtUp) return;
            if (current.state.ended) controller?.abort('ended');
            const turn = current.currentTurn();
            const count =
              (turn?.items.length ?? 0) + current.state.turns.length * 1000 + (turn?.endEventId ? 1 : 0);
            // New items (first words, a new card, the end of a turn) are drawn at once; growth is throttled.
            throttle.poke({ immediate: count !== known });
            known = count;
          },
          onCaughtUp: (current) => {
            view = current;
            caughtUp = true;
            if (current.state.ended) controller?.abort('ended');
            throttle.poke({ immediate: true });
          },
        });
        if (signal.aborted && signal.reason !== 'ended') return;
        // The log ended (session deleted) or the session was terminated: draw the rest, then let go.
        await throttle.flush();
        deps.onEnded?.(target.sessionId);
      })().catch((error) => log.error({ err: error }, 'slack renderer stopped following the session'));
    },
    async stop(options) {
      controller?.abort();
      await following;
      if (options?.flush) await throttle.flush();
      await throttle.cancel();
      for (const timer of [statusTimer, quietTimer]) if (timer) clearTimeout(timer);
    },
    settled: () => throttle.flush(),
  };
}
