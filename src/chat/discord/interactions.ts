/**
 * Slash commands (`/task`, `/status`, `/stop`, `/sessions`) and our buttons (Stop, Approve,
 * Deny). Every interaction is acknowledged first thing (Discord allows 3 seconds); refusals
 * are ephemeral, visible only to the person who clicked.
 */
import {
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  MessageFlags,
  ThreadAutoArchiveDuration,
} from 'discord.js';
import { truncate } from '../core/index.js';
import { confirmTool } from './approvals.js';
import { type Actor, authorOf, type DiscordContext, mayControl, mayStart, roleIdsOf } from './context.js';
import { parseButtonId, say, sayPrivately } from './format.js';
import { missingPermissions, threadName } from './inbound.js';

const actorOf = (interaction: Interaction): Actor => ({
  userId: interaction.user.id,
  roleIds: roleIdsOf(interaction.member),
});

async function runTask(ctx: DiscordContext, interaction: ChatInputCommandInteraction): Promise<void> {
  const actor = actorOf(interaction);
  if (!mayStart(ctx.config, actor)) {
    await interaction.reply(sayPrivately('You are not allowed to start Threadhand sessions here.'));
    return;
  }
  await interaction.deferReply();
  const prompt = interaction.options.getString('prompt', true).trim();
  const author = authorOf(interaction.user);
  const bound = await ctx.sessionIn(interaction.channelId);
  if (bound) {
    await ctx.runtime.send(
      bound.sessionId,
      [{ type: 'user.message', content: [{ type: 'text', text: prompt }] }],
      author,
    );
    await interaction.editReply(say(`**Task:** ${truncate(prompt, 1900)}`));
    return;
  }
  await ctx.preflight();
  if (!interaction.guildId) {
    await interaction.editReply(say(`**Task:** ${truncate(prompt, 1900)}`));
    await ctx.startSession({ channelId: interaction.channelId, guildId: null, starter: author, prompt });
    return;
  }
  const me = interaction.guild?.members.me;
  const channel = interaction.channel;
  const missing = missingPermissions(
    me && channel && 'permissionsFor' in channel ? channel.permissionsFor(me) : null,
  );
  if (missing.length > 0 || !channel || channel.isThread()) {
    await interaction.editReply(
      say(
        channel?.isThread()
          ? 'This thread has no session; run `/task` in a text channel.'
          : `I can't work here: I'm missing the permissions ${missing.join(', ')}.`,
      ),
    );
    return;
  }
  const reply = await interaction.editReply(say(`**Task:** ${truncate(prompt, 1900)}`));
  const thread = await reply.startThread({
    name: threadName(prompt),
    autoArchiveDuration: ThreadAutoArchiveDuration.OneDay,
  });
  await ctx.startSession({
    channelId: thread.id,
    guildId: interaction.guildId,
    starter: author,
    prompt,
    url: `https://discord.com/channels/${interaction.guildId}/${thread.id}`,
  });
}

async function runStatus(ctx: DiscordContext, interaction: ChatInputCommandInteraction): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const bound = await ctx.sessionIn(interaction.channelId);
  const session = bound ? await ctx.runtime.stores.log.getSession(bound.sessionId) : undefined;
  if (!session) {
    await interaction.editReply(say('No session in this channel. `/sessions` lists recent ones.'));
    return;
  }
  const stop = session.status === 'idle' && session.stop_reason ? ` (${session.stop_reason.type})` : '';
  await interaction.editReply(
    say(
      [
        `**${session.title ?? session.id}**`,
        `Status: ${session.status}${stop} · ${session.event_count} events`,
        `Agent: ${session.agent_id} v${session.agent_version} · environment: ${session.environment_id}`,
        `Session: \`${session.id}\` · started by <@${bound?.starterId}>`,
      ].join('\n'),
    ),
  );
}

async function runStop(ctx: DiscordContext, interaction: ChatInputCommandInteraction): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const bound = await ctx.sessionIn(interaction.channelId);
  if (!bound) {
    await interaction.editReply(say('No session in this channel.'));
    return;
  }
  if (!mayControl(ctx.config, actorOf(interaction), bound)) {
    await interaction.editReply(say(`Only <@${bound.starterId}> or an operator can stop this session.`));
    return;
  }
  await ctx.runtime.send(bound.sessionId, [{ type: 'user.interrupt' }], authorOf(interaction.user));
  await interaction.editReply(say('Stopping.'));
}

async function runSessions(ctx: DiscordContext, interaction: ChatInputCommandInteraction): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const page = await ctx.runtime.stores.log.listSessions({ limit: 100, order: 'desc' });
  const lines = page.data
    .filter((s) => s.metadata['threadhand.platform'] === 'discord')
    .slice(0, 10)
    .map((s) => `• <#${s.metadata['threadhand.thread']}> — ${s.status} — ${truncate(s.title ?? s.id, 80)}`);
  await interaction.editReply(say(lines.length > 0 ? lines.join('\n') : 'No Discord sessions yet.'));
}

async function runButton(ctx: DiscordContext, interaction: ButtonInteraction): Promise<void> {
  const action = parseButtonId(interaction.customId);
  if (!action) return;
  const binding = await ctx.bindings.get(action.sessionId);
  if (!binding) {
    await interaction.reply(sayPrivately('That session is not known here any more.'));
    return;
  }
  if (!mayControl(ctx.config, actorOf(interaction), binding)) {
    const what = action.action === 'stop' ? 'stop' : 'approve or deny tool calls in';
    await interaction.reply(
      sayPrivately(`Only <@${binding.starterId}> or an operator can ${what} this session.`),
    );
    return;
  }
  await interaction.deferUpdate();
  const author = authorOf(interaction.user);
  if (action.action === 'stop') {
    await ctx.runtime.send(action.sessionId, [{ type: 'user.interrupt' }], author);
    return;
  }
  const done = await confirmTool(
    ctx,
    action.sessionId,
    action.toolUseId,
    action.action === 'approve' ? 'allow' : 'deny',
    author,
  );
  if (!done) await interaction.followUp(sayPrivately('That tool call was already decided.'));
}

async function dispatch(
  ctx: DiscordContext,
  interaction: ChatInputCommandInteraction | ButtonInteraction,
): Promise<void> {
  if (interaction.isButton()) return runButton(ctx, interaction);
  switch (interaction.commandName) {
    case 'task':
      return runTask(ctx, interaction);
    case 'status':
      return runStatus(ctx, interaction);
    case 'stop':
      return runStop(ctx, interaction);
    case 'sessions':
      return runSessions(ctx, interaction);
    default:
      await interaction.reply(sayPrivately(`Unknown command /${interaction.commandName}.`));
  }
}

export async function handleInteraction(ctx: DiscordContext, interaction: Interaction): Promise<void> {
  if (!interaction.isChatInputCommand() && !interaction.isButton()) return;
  if (!(await ctx.deliveries.claim(`int:${interaction.id}`))) return;
  try {
    await dispatch(ctx, interaction);
  } catch (error) {
    // Whoever used the command sees what went wrong instead of "thinking…" forever.
    const text = `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
    const answer =
      interaction.deferred || interaction.replied
        ? interaction.followUp(sayPrivately(text))
        : interaction.reply(sayPrivately(text));
    await answer.catch(() => undefined);
    throw error;
  }
}
