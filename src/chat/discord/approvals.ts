/** Approving or denying one exact pending tool call. */
import type { EventAuthor } from '../../events/schema.js';
import type { DiscordContext } from './context.js';

/** The tool uses of a session still waiting for a decision. */
export async function pendingApprovals(ctx: DiscordContext, sessionId: string): Promise<Set<string>> {
  const pending = new Set<string>();
  for (const event of await ctx.runtime.stores.log.read(sessionId)) {
    if (event.type === 'session.status_idle' && event.stop_reason.type === 'requires_action') {
      for (const id of event.stop_reason.event_ids) pending.add(id);
    } else if (event.type === 'user.tool_confirmation') {
      pending.delete(event.tool_use_id);
    }
  }
  return pending;
}

/** Approves or denies exactly one pending tool call; false when it is not pending any more. */
export async function confirmTool(
  ctx: DiscordContext,
  sessionId: string,
  toolUseId: string,
  result: 'allow' | 'deny',
  author: EventAuthor,
): Promise<boolean> {
  if (!(await pendingApprovals(ctx, sessionId)).has(toolUseId)) return false;
  await ctx.runtime.send(
    sessionId,
    [
      {
        type: 'user.tool_confirmation',
        tool_use_id: toolUseId,
        result,
        ...(result === 'deny'
          ? { deny_message: `Denied in Discord by ${author.display_name ?? author.user_id}.` }
          : {}),
      },
    ],
    author,
  );
  return true;
}
