/**
 * Messages and reactions from the gateway: a mention opens a thread and a session, messages in
 * a bound thread (or DM) steer it, reactions stop it or answer an approval.
 */
import {
  ChannelType,
  type Message,
  type MessageReaction,
  type PartialMessageReaction,
  type PartialUser,
  PermissionFlagsBits,
  type PermissionsBitField,
  ThreadAutoArchiveDuration,
  type User,
} from 'discord.js';
import { truncate } from '../core/index.js';
import { confirmTool } from './approvals.js';
import { type Actor, authorOf, type DiscordContext, mayControl, mayStart, roleIdsOf } from './context.js';
import { say } from './format.js';

/** Permissions the bot needs in a channel to open a thread there and work in it. */
export const REQUIRED_CHANNEL_PERMISSIONS: Array<[bigint, string]> = [
  [PermissionFlagsBits.ViewChannel, 'View Channel'],
  [PermissionFlagsBits.SendMessages, 'Send Messages'],
  [PermissionFlagsBits.CreatePublicThreads, 'Create Public Threads'],
  [PermissionFlagsBits.SendMessagesInThreads, 'Send Messages in Threads'],
  [PermissionFlagsBits.EmbedLinks, 'Embed Links'],
  [PermissionFlagsBits.ReadMessageHistory, 'Read Message History'],
];

/** The permissions integer for the invite URL: exactly the ones above. */
export const DISCORD_BOT_PERMISSIONS = REQUIRED_CHANNEL_PERMISSIONS.reduce((sum, [bit]) => sum | bit, 0n);

/** The URL that adds the bot to a server with the permissions it needs and slash commands. */
export function discordInviteUrl(applicationId: string): string {
  return `https://discord.com/oauth2/authorize?client_id=${applicationId}&scope=bot+applications.commands&permissions=${DISCORD_BOT_PERMISSIONS}`;
}

export function missingPermissions(perms: Readonly<PermissionsBitField> | null | undefined): string[] {
  if (!perms) return REQUIRED_CHANNEL_PERMISSIONS.map(([, name]) => name);
  return REQUIRED_CHANNEL_PERMISSIONS.filter(([bit]) => !perms.has(bit)).map(([, name]) => name);
}

export function promptOf(content: string, botId: string): string {
  return content.replace(new RegExp(`<@!?${botId}>`, 'g'), '').trim();
}

export function threadName(prompt: string): string {
  const line = prompt.split('\n')[0]?.trim() || 'Threadhand task';
  return truncate(line, 90);
}

async function releaseDelivery(ctx: DiscordContext, key: string): Promise<void> {
  await ctx.kv.delete(`discord:delivery:${key}`);
}

export async function handleMessage(ctx: DiscordContext, message: Message): Promise<void> {
  const botId = ctx.client.user?.id;
  if (!botId || message.author.id === botId || message.system) return;
  if (message.author.bot && !ctx.config.respondToBots) return;
  const inDm = message.guildId === null;
  const mentioned = message.mentions.users.has(botId);
  const bound = await ctx.sessionIn(message.channelId, message.guildId);
  if (!bound && !inDm && !mentioned) return;

  // Persisted, so a message redelivered after a restart is not answered twice.
  const key = `msg:${message.id}`;
  if (!(await ctx.deliveries.claim(key))) {
    ctx.logger.debug({ messageId: message.id }, 'discord message already handled');
    return;
  }
  const actor: Actor = { userId: message.author.id, roleIds: roleIdsOf(message.member) };
  if (!mayStart(ctx.config, actor)) return;
  const prompt = promptOf(message.content, botId);
  try {
    if (bound) {
      if (!prompt) return;
      await ctx.runtime
        .send(
          bound.sessionId,
          [{ type: 'user.message', content: [{ type: 'text', text: prompt }] }],
          authorOf(message.author),
        )
        .catch(async (error: unknown) => {
          if ((error as { code?: string }).code !== 'terminated') throw error;
          await message.reply(say('This session has ended. Mention me in a channel to start a new one.'));
        });
      return;
    }
    if (!prompt) {
      await message.reply(say('Mention me with a task, e.g. `@Threadhand summarise the open issues`.'));
      return;
    }
    await ctx.preflight();
    if (inDm) {
      await ctx.startSession({
        channelId: message.channelId,
        guildId: null,
        starter: authorOf(message.author),
        prompt,
      });
      return;
    }
    const channel = message.channel;
    const me = message.guild?.members.me;
    const perms = me && 'permissionsFor' in channel ? channel.permissionsFor(me) : null;
    const missing = missingPermissions(perms);
    const inThread = channel.isThread();
    if (inThread ? !perms?.has(PermissionFlagsBits.SendMessagesInThreads) : missing.length > 0) {
      ctx.logger.warn({ channelId: message.channelId, missing }, 'discord: missing channel permissions');
      if (perms?.has(PermissionFlagsBits.SendMessages)) {
        await message.reply(say(`I can't work here: I'm missing the permissions ${missing.join(', ')}.`));
      }
      return;
    }
    const threadId = inThread
      ? channel.id
      : (
          await message.startThread({
            name: threadName(prompt),
            autoArchiveDuration: ThreadAutoArchiveDuration.OneDay,
          })
        ).id;
    await ctx.startSession({
      channelId: threadId,
      guildId: message.guildId,
      starter: authorOf(message.author),
      prompt,
      url: `https://discord.com/channels/${message.guildId}/${threadId}`,
    });
  } catch (error) {
    await releaseDelivery(ctx, key);
    // Expected refusals from the runtime (unknown agent, bad input) are said in the channel.
    const code = (error as { code?: unknown }).code;
    if (code === 'not_found' || code === 'invalid') {
      await message.reply(say(`I could not start: ${(error as Error).message}`)).catch(() => undefined);
      return;
    }
    throw error;
  }
}

const STOP_EMOJI = new Set(['🛑', '⏹️', '⏹', '✋']);
const APPROVE_EMOJI = new Set(['✅', '👍']);
const DENY_EMOJI = new Set(['❌', '👎']);

export async function handleReaction(
  ctx: DiscordContext,
  reaction: MessageReaction | PartialMessageReaction,
  user: User | PartialUser,
): Promise<void> {
  if (user.id === ctx.client.user?.id || user.bot) return;
  const emoji = reaction.emoji.name ?? '';
  const action = STOP_EMOJI.has(emoji)
    ? 'stop'
    : APPROVE_EMOJI.has(emoji)
      ? 'approve'
      : DENY_EMOJI.has(emoji)
        ? 'deny'
        : null;
  if (!action) return;
  const message = reaction.message;
  const ref = await ctx.messages.get(message.id);
  const binding = ref
    ? await ctx.bindings.get(ref.sessionId)
    : await ctx.sessionIn(message.channelId, message.guildId);
  if (!binding) return;
  const member = message.guild?.members.cache.get(user.id);
  const actor: Actor = { userId: user.id, roleIds: roleIdsOf(member) };
  if (!mayControl(ctx.config, actor, binding)) {
    // Ignored without a word, by design: Discord has no private reply to a reaction (only an
    // interaction can be answered ephemerally), and a reply in the thread would tell everyone.
    // The reaction stays on the message: removing someone else's needs Manage Messages, which
    // the bot does not ask for. The buttons do answer privately.
    ctx.logger.info(
      { sessionId: binding.sessionId, userId: user.id, action },
      'discord: reaction from a user not allowed',
    );
    return;
  }
  const key = `react:${message.id}:${user.id}:${emoji}:${Math.floor(Date.now() / 60_000)}`;
  if (!(await ctx.deliveries.claim(key))) return;
  const author = authorOf({
    id: user.id,
    username: user.username ?? user.id,
    globalName: user.globalName ?? null,
  });
  if (action === 'stop') {
    await ctx.runtime.send(binding.sessionId, [{ type: 'user.interrupt' }], author);
    return;
  }
  if (!ref?.toolUseId) return;
  await confirmTool(ctx, binding.sessionId, ref.toolUseId, action === 'approve' ? 'allow' : 'deny', author);
}

export function isDmChannel(type: ChannelType): boolean {
  return type === ChannelType.DM || type === ChannelType.GroupDM;
}
