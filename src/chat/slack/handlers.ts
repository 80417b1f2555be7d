/**
 * What Slack input does to sessions: mentions and DMs start sessions bound to a thread,
 * thread replies steer (or start a new turn), `stop` / reactions / buttons interrupt and
 * approve, `/threadhand` runs tasks and reports. All platform-independent checks (who may
 * approve, dedupe) happen here; the bolt wiring is in `service.ts`.
 */
import { z } from 'zod';
import type { EventAuthor } from '../../events/schema.js';
import type { Logger } from '../../logging.js';
import type { Runtime } from '../../runtime/types.js';
import type { KV } from '../../store/types.js';
import { createRecordStore, type Deduper } from '../core/records.js';
import { truncate } from '../core/summary.js';
import type { SlackApi } from './api.js';
import { channelPolicy, type SlackConfig, threadKey } from './config.js';
import type { ThreadTarget } from './renderer.js';

export interface MessageInfo {
  sessionId: string;
  toolUseId?: string;
}

export interface HandlerContext {
  runtime: Runtime;
  api: SlackApi;
  config: SlackConfig;
  logger: Logger;
  kv: KV;
  dedupe: Deduper;
  /** From `auth.test`; `url` is the workspace's address, e.g. `https://acme.slack.com/`. */
  bot: { userId: string; botId: string; team: string; url?: string };
  /** Starts (or keeps) the renderer of a session in this process. */
  render(target: ThreadTarget): void;
}

export interface SlackMessage {
  user?: string;
  bot_id?: string;
  subtype?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  channel: string;
  channel_type?: string;
  team?: string;
}

export function createHandlers(ctx: HandlerContext) {
  const { runtime, api, config, logger } = ctx;
  const messages = createRecordStore<MessageInfo>(ctx.kv, 'slack:msg');
  const channelSessions = createRecordStore<string[]>(ctx.kv, 'slack:channel');
  const mentionPattern = new RegExp(`<@${ctx.bot.userId}(\\|[^>]*)?>`, 'g');

  const authorFor = (user: string, channel: string): EventAuthor => {
    const allow = channelPolicy(config, channel).allowlist;
    return { platform: 'slack', user_id: user, trusted: allow ? allow.has(user) : true };
  };

  const ephemeral = (channel: string, user: string, text: string, threadTs?: string) =>
    api.call(channel, 'chat.postEphemeral', {
      channel,
      user,
      text,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });

  const remember = (channel: string, ts: string, info: MessageInfo) => messages.set(`${channel}:${ts}`, info);

  /** Starter or approver may stop; approving also needs a trusted (allowlisted) user. */
  const mayControl = async (sessionId: string, user: string, channel: string, approving: boolean) => {
    const session = await runtime.stores.log.getSession(sessionId);
    if (!session) return { ok: false, why: 'That session no longer exists.' };
    const policy = channelPolicy(config, channel);
    if (approving && policy.allowlist && !policy.allowlist.has(user)) {
      return {
        ok: false,
        why: 'You are not on this workspace’s Threadhand allowlist, so you cannot approve tool calls.',
      };
    }
    // `slack_user` is who started it here, or the `threadhand.user_id` of an API binding.
    const starter = session.metadata.slack_user;
    if (user === starter || policy.approvers.has(user)) return { ok: true, why: '' };
    const who = starter
      ? `<@${starter}> (who started it)`
      : session.metadata['threadhand.slack_thread']
        ? 'the user named when it was bound through the API'
        : 'the person who started it';
    return {
      ok: false,
      why: `Only ${who} or a configured approver can ${approving ? 'approve or deny tool calls' : 'stop'} in this session.`,
    };
  };

  const targetFor = async (sessionId: string): Promise<ThreadTarget | undefined> => {
    const session = await runtime.stores.log.getSession(sessionId);
    const m = session?.metadata;
    if (!m?.slack_channel || !m.slack_thread_ts) return undefined;
    return {
      sessionId,
      team: m.slack_team ?? ctx.bot.team,
      channel: m.slack_channel,
      threadTs: m.slack_thread_ts,
      recipientUserId: m.slack_user,
    };
  };

  /**
   * Records the thread's link in the session metadata (`threadhand.thread_url`, as Discord does)
   * for the web console. Built from the workspace address `auth.test` gave at start-up, so it
   * costs no Web API call; only without one is `chat.getPermalink` asked, queued apart from
   * the channel's calls so the first answer never waits behind it. A failure only loses the link.
   */
  const recordThreadUrl = async (sessionId: string, channel: string, threadTs: string) => {
    try {
      let link: string;
      if (ctx.bot.url) {
        link = new URL(`archives/${channel}/p${threadTs.replace('.', '')}`, ctx.bot.url).toString();
      } else {
        const res = await api.call('chat.getPermalink', 'chat.getPermalink', {
          channel,
          message_ts: threadTs,
        });
        const url = z.string().url().safeParse(res.permalink);
        if (!url.success) throw new Error('chat.getPermalink answered without a permalink');
        link = url.data;
      }
      const session = await runtime.stores.log.getSession(sessionId);
      if (!session) return;
      await runtime.stores.log.updateSession(sessionId, {
        metadata: { ...session.metadata, 'threadhand.thread_url': link },
      });
    } catch (err) {
      logger.warn({ err, sessionId, channel, threadTs }, 'could not record the Slack thread link');
    }
  };

  const startSession = async (
    user: string,
    team: string,
    channel: string,
    threadTs: string,
    text: string,
  ) => {
    const policy = channelPolicy(config, channel);
    const session = await runtime.createSession({
      agent: policy.agent,
      environment: policy.environment,
      title: truncate(text.replace(/\s+/g, ' '), 80),
      metadata: { slack_user: user, slack_team: team, slack_channel: channel, slack_thread_ts: threadTs },
      binding: { platform: 'slack', thread: threadKey(team, channel, threadTs) },
      initialEvents: [{ type: 'user.message', content: [{ type: 'text', text }] }],
      author: authorFor(user, channel),
    });
    const list = (await channelSessions.get(channel)) ?? [];
    await channelSessions.set(channel, [session.id, ...list].slice(0, 20));
    ctx.render({ sessionId: session.id, team, channel, threadTs, recipientUserId: user });
    logger.info({ sessionId: session.id, channel, threadTs }, 'slack thread started a session');
    void recordThreadUrl(session.id, channel, threadTs);
    return session;
  };

  /**
   * Interrupts, or returns why not. A refusal is posted ephemerally unless the caller shows
   * it itself (`/threadhand stop` answers with it, so posting too would say it twice).
   */
  const interrupt = async (
    sessionId: string,
    user: string,
    channel: string,
    threadTs?: string,
    options: { postRefusal: boolean } = { postRefusal: true },
  ): Promise<string | null> => {
    const allowed = await mayControl(sessionId, user, channel, false);
    if (!allowed.ok) {
      if (options.postRefusal) await ephemeral(channel, user, allowed.why, threadTs);
      return allowed.why;
    }
    await runtime.send(sessionId, [{ type: 'user.interrupt' }], authorFor(user, channel));
    return null;
  };

  const confirm = async (
    info: MessageInfo,
    user: string,
    channel: string,
    allow: boolean,
    threadTs?: string,
  ) => {
    if (!info.toolUseId) return;
    const allowed = await mayControl(info.sessionId, user, channel, true);
    if (!allowed.ok) {
      await ephemeral(channel, user, allowed.why, threadTs);
      return;
    }
    const session = await runtime.stores.log.getSession(info.sessionId);
    const pending =
      session?.stop_reason?.type === 'requires_action' &&
      session.stop_reason.event_ids.includes(info.toolUseId);
    if (!pending) return;
    if (!(await ctx.dedupe.claim(`confirm:${info.toolUseId}`))) return;
    await runtime.send(
      info.sessionId,
      [
        {
          type: 'user.tool_confirmation',
          tool_use_id: info.toolUseId,
          result: allow ? 'allow' : 'deny',
          ...(allow ? {} : { deny_message: `Denied by ${user} in Slack.` }),
        },
      ],
      authorFor(user, channel),
    );
  };

  const threadReply = async (
    sessionId: string,
    msg: SlackMessage & { user: string },
    text: string,
    threadTs: string,
  ) => {
    await remember(msg.channel, msg.ts, { sessionId });
    const target = await targetFor(sessionId);
    if (target) ctx.render(target);
    if (text.trim().toLowerCase() === 'stop') {
      await interrupt(sessionId, msg.user, msg.channel, threadTs);
      return;
    }
    const session = await runtime.stores.log.getSession(sessionId);
    if (session?.status === 'running' || session?.status === 'rescheduling') {
      // Acknowledge at once: the agent gets it as steering at its next step.
      void api
        .call(msg.channel, 'reactions.add', {
          channel: msg.channel,
          timestamp: msg.ts,
          name: config.reactions.received,
        })
        .catch((err: unknown) => logger.warn({ err }, 'could not acknowledge a steering message'));
    }
    await runtime.send(
      sessionId,
      [{ type: 'user.message', content: [{ type: 'text', text }] }],
      authorFor(msg.user, msg.channel),
    );
  };

  /**
   * Draws a session bound to a thread from outside (through the API) as if it had started
   * here: renderer, the channel's `/threadhand list`, the thread link. True once handled.
   */
  const adopt = async (binding: { sessionId: string; thread: string }): Promise<boolean> => {
    const { sessionId } = binding;
    const session = await runtime.stores.log.getSession(sessionId);
    if (!session) return true;
    const match = /^([^:]+):([^:]+):(.+)$/.exec(binding.thread);
    const target: ThreadTarget | undefined = match
      ? {
          sessionId,
          team: match[1] as string,
          channel: match[2] as string,
          threadTs: match[3] as string,
          recipientUserId: session.metadata.slack_user,
        }
      : await targetFor(sessionId);
    if (!target) {
      logger.warn({ sessionId, thread: binding.thread }, 'slack binding names no thread; not drawn');
      return true;
    }
    const list = (await channelSessions.get(target.channel)) ?? [];
    if (!list.includes(sessionId))
      await channelSessions.set(target.channel, [sessionId, ...list].slice(0, 20));
    ctx.render(target);
    logger.info(
      { sessionId, channel: target.channel, threadTs: target.threadTs },
      'slack thread bound to a session',
    );
    if (!session.metadata['threadhand.thread_url'])
      void recordThreadUrl(sessionId, target.channel, target.threadTs);
    return true;
  };

  return {
    remember,
    targetFor,
    adopt,

    async message(msg: SlackMessage, eventId: string | undefined, isMention: boolean): Promise<void> {
      if (msg.bot_id || !msg.user || msg.user === ctx.bot.userId) return;
      if (msg.subtype && msg.subtype !== 'thread_broadcast' && msg.subtype !== 'file_share') return;
      const user = msg.user;
      const text = (msg.text ?? '').replace(mentionPattern, '').trim();
      if (text.length === 0) return;
      const team = msg.team ?? ctx.bot.team;
      const isDm = msg.channel_type === 'im' || msg.channel.startsWith('D');
      let sessionId: string | undefined;
      if (msg.thread_ts) {
        sessionId = await runtime.sessionForThread({
          platform: 'slack',
          thread: threadKey(team, msg.channel, msg.thread_ts),
        });
      }
      if (!sessionId && !isMention && !isDm) return;
      // Retries and redeliveries share the event id; a mention also arrives as a message event.
      if (eventId && !(await ctx.dedupe.claim(`evt:${eventId}`))) return;
      if (!(await ctx.dedupe.claim(`msg:${msg.channel}:${msg.ts}`))) return;
      if (sessionId && msg.thread_ts) return threadReply(sessionId, { ...msg, user }, text, msg.thread_ts);
      await startSession(user, team, msg.channel, msg.thread_ts ?? msg.ts, text);
    },

    async reaction(
      ev: { user: string; reaction: string; item: { channel?: string; ts?: string } },
      eventId?: string,
    ) {
      const { channel, ts } = ev.item;
      if (!channel || !ts || ev.user === ctx.bot.userId) return;
      const r = config.reactions;
      if (![r.interrupt, r.approve, r.deny].includes(ev.reaction)) return;
      if (eventId && !(await ctx.dedupe.claim(`evt:${eventId}`))) return;
      let info = await messages.get(`${channel}:${ts}`);
      if (!info) {
        const sessionId = await runtime.sessionForThread({
          platform: 'slack',
          thread: threadKey(ctx.bot.team, channel, ts),
        });
        if (sessionId) info = { sessionId };
      }
      if (!info) return;
      const threadTs = (await targetFor(info.sessionId))?.threadTs;
      if (ev.reaction === r.interrupt) await interrupt(info.sessionId, ev.user, channel, threadTs);
      else await confirm(info, ev.user, channel, ev.reaction === r.approve, threadTs);
    },

    async stopButton(sessionId: string, user: string, channel: string, threadTs?: string) {
      await interrupt(sessionId, user, channel, threadTs);
    },

    async approvalButton(value: string, user: string, channel: string, allow: boolean, threadTs?: string) {
      const [sessionId, toolUseId] = value.split('|');
      if (!sessionId || !toolUseId) return;
      await confirm({ sessionId, toolUseId }, user, channel, allow, threadTs);
    },

    /** `/threadhand <task|status|stop|list>`; returns the ephemeral answer. */
    async command(cmd: {
      text: string;
      user_id: string;
      channel_id: string;
      team_id: string;
    }): Promise<string> {
      const text = cmd.text.trim();
      const word = text.toLowerCase();
      const recent = (await channelSessions.get(cmd.channel_id)) ?? [];
      if (word === '' || word === 'help') {
        return 'Usage: `/threadhand <task>` starts a session in a new thread; `/threadhand status`, `/threadhand stop`, `/threadhand list`.';
      }
      if (word === 'list' || word === 'status') {
        const sessions = [];
        for (const id of word === 'status' ? recent.slice(0, 1) : recent.slice(0, 10)) {
          const s = await runtime.stores.log.getSession(id);
          if (s)
            sessions.push(
              `• \`${s.id}\` ${s.status}${s.stop_reason ? ` (${s.stop_reason.type})` : ''}: ${s.title ?? ''}`,
            );
        }
        return sessions.length > 0 ? sessions.join('\n') : 'No Threadhand sessions in this channel yet.';
      }
      if (word === 'stop') {
        for (const id of recent) {
          const s = await runtime.stores.log.getSession(id);
          if (s?.status !== 'running' && s?.status !== 'rescheduling') continue;
          const refused = await interrupt(id, cmd.user_id, cmd.channel_id, undefined, { postRefusal: false });
          return refused ?? `Stopping \`${id}\`.`;
        }
        return 'Nothing is running in this channel.';
      }
      const root = await api.call(cmd.channel_id, 'chat.postMessage', {
        channel: cmd.channel_id,
        text: `<@${cmd.user_id}> asked: ${truncate(text, 2900)}`,
      });
      const session = await startSession(cmd.user_id, cmd.team_id, cmd.channel_id, String(root.ts), text);
      return `Started \`${session.id}\`; follow along in the thread.`;
    },
  };
}

export type SlackHandlers = ReturnType<typeof createHandlers>;
