/**
 * Discord message bodies (API v10 JSON) for what the renderer draws: tool cards as embeds,
 * Stop/Approve/Deny buttons, the end-of-turn footer. Every body sets `allowed_mentions` to
 * ping nobody, so nothing the agent writes can notify @everyone, a role or a user.
 */

import type { PriceTable } from '../../usage/prices.js';
import type { ToolItem, TurnView } from '../core/index.js';
import { formatUsage, tail, truncate } from '../core/index.js';

export const NO_PINGS = { parse: [] as string[], replied_user: false };

export interface MessageBody {
  content?: string;
  embeds?: Array<Record<string, unknown>>;
  components?: Array<Record<string, unknown>>;
  allowed_mentions: typeof NO_PINGS;
  flags?: number;
}

/** Custom ids carried by our buttons: `th:<action>:<sessionId>[:<toolUseId>]`. */
export type ButtonAction =
  | { action: 'stop'; sessionId: string }
  | { action: 'approve' | 'deny'; sessionId: string; toolUseId: string };

export function buttonId(action: ButtonAction): string {
  return action.action === 'stop'
    ? `th:stop:${action.sessionId}`
    : `th:${action.action}:${action.sessionId}:${action.toolUseId}`;
}

export function parseButtonId(customId: string): ButtonAction | null {
  const parts = customId.split(':');
  if (parts[0] !== 'th' || !parts[2]) return null;
  if (parts[1] === 'stop' && parts.length === 3) return { action: 'stop', sessionId: parts[2] };
  if ((parts[1] === 'approve' || parts[1] === 'deny') && parts.length === 4 && parts[3]) {
    return { action: parts[1], sessionId: parts[2], toolUseId: parts[3] };
  }
  return null;
}

const button = (label: string, style: number, customId: string, emoji?: string) => ({
  type: 2,
  style,
  label,
  custom_id: customId,
  ...(emoji ? { emoji: { name: emoji } } : {}),
});

export function stopRow(sessionId: string): Record<string, unknown> {
  return { type: 1, components: [button('Stop', 4, buttonId({ action: 'stop', sessionId }), '⏹️')] };
}

export function approvalRow(sessionId: string, toolUseId: string): Record<string, unknown> {
  return {
    type: 1,
    components: [
      button('Approve', 3, buttonId({ action: 'approve', sessionId, toolUseId }), '✅'),
      button('Deny', 4, buttonId({ action: 'deny', sessionId, toolUseId }), '❌'),
    ],
  };
}

/** Keeps text from closing the code block it is shown in. */
function fenceSafe(text: string): string {
  return text.replace(/```/g, '`\u200b``');
}

const STATUS: Record<ToolItem['status'], { label: string; color: number; icon: string }> = {
  running: { label: 'running…', color: 0x5865f2, icon: '⏳' },
  pending_approval: { label: 'waiting for approval', color: 0xfee75c, icon: '✋' },
  done: { label: 'done', color: 0x57f287, icon: '✅' },
  failed: { label: 'failed', color: 0xed4245, icon: '❌' },
  denied: { label: 'denied', color: 0x99aab5, icon: '🚫' },
  interrupted: { label: 'interrupted', color: 0x99aab5, icon: '⏹️' },
};

/** The embed (and buttons) that show one tool call, updated in place as it runs. */
export function toolCard(sessionId: string, tool: ToolItem): MessageBody {
  const status = STATUS[tool.status];
  const parts = [`\`\`\`\n${fenceSafe(truncate(tool.summary || '(no input)', 900))}\n\`\`\``];
  if (tool.output.trim()) parts.push(`\`\`\`\n${fenceSafe(tail(tool.output.trimEnd(), 1800))}\n\`\`\``);
  const footer = tool.exitCode === undefined ? status.label : `${status.label} · exit ${tool.exitCode}`;
  const components =
    tool.status === 'pending_approval'
      ? [approvalRow(sessionId, tool.toolUseId)]
      : tool.status === 'running'
        ? [stopRow(sessionId)]
        : [];
  return {
    embeds: [
      {
        title: truncate(`${status.icon} ${tool.name}`, 256),
        description: parts.join('\n'),
        color: status.color,
        footer: { text: footer },
      },
    ],
    components,
    allowed_mentions: NO_PINGS,
  };
}

const STOP_LABEL: Record<string, string> = {
  end_turn: '✅ Done',
  requires_action: '✋ Waiting for approval',
  retries_exhausted: '⚠️ Gave up after retries',
  budget_reached: '⚠️ Budget reached',
  refusal: '⚠️ Refused',
};

/** The last message of a turn: how it ended, tokens used and what they cost. */
export function turnFooter(turn: TurnView, model?: string, prices?: PriceTable): MessageBody {
  const ended =
    turn.state === 'terminated'
      ? '⏹️ Session ended'
      : (STOP_LABEL[turn.stopReason?.type ?? 'end_turn'] ?? '✅ Done');
  const lines: string[] = [];
  if (turn.error) lines.push(`⚠️ ${truncate(turn.error, 1500)}`);
  const usage = turn.usage.model_requests > 0 ? ` · ${formatUsage(turn.usage, model, prices)}` : '';
  lines.push(`-# ${ended}${usage}`);
  return { content: lines.join('\n'), components: [], allowed_mentions: NO_PINGS };
}

/** Plain text from the bot (replies, notices), never pinging anyone. */
export function notice(content: string, ephemeral = false): MessageBody {
  return {
    content: truncate(content, 2000),
    allowed_mentions: NO_PINGS,
    ...(ephemeral ? { flags: 64 } : {}),
  };
}

/** discord.js send/reply options for a plain notice that pings nobody. */
export function say(content: string) {
  return { content: truncate(content, 2000), allowedMentions: { parse: [], repliedUser: false } };
}

/** The same, visible only to the person who used the interaction. */
export function sayPrivately(content: string) {
  return { ...say(content), flags: 64 as const };
}
