/** Block Kit for tool cards, approval cards, notices and the usage footer. */
import { truncate } from '../core/summary.js';
import type { ToolItem } from '../core/types.js';

export const ACTION_STOP = 'threadhand_stop';
export const ACTION_APPROVE = 'threadhand_approve';
export const ACTION_DENY = 'threadhand_deny';

type Block = Record<string, unknown>;

const STATUS_LABEL: Record<ToolItem['status'], string> = {
  running: ':hourglass_flowing_sand: running',
  pending_approval: ':raised_hand: needs approval',
  done: ':white_check_mark: done',
  failed: ':x: failed',
  denied: ':no_entry_sign: denied',
  interrupted: ':octagonal_sign: interrupted',
};

/** Code spans can't hold backticks; a fence keeps multi-line commands readable. */
function code(text: string): string {
  const clean = text.replace(/```/g, '`\u200b``');
  return clean.includes('\n') ? `\`\`\`${clean}\`\`\`` : `\`${clean.replace(/`/g, "'")}\``;
}

export function toolCardBlocks(tool: ToolItem, sessionId: string): Block[] {
  const exit = tool.exitCode !== undefined ? ` · exit ${tool.exitCode}` : '';
  const head = `*${tool.name}* ${tool.summary ? code(truncate(tool.summary, 500)) : ''}\n${STATUS_LABEL[tool.status]}${exit}`;
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: head } }];
  if (tool.output.trim().length > 0 && tool.status !== 'pending_approval') {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: code(truncate(tool.output.trim(), 600)) }],
    });
  }
  if (tool.status === 'pending_approval') {
    blocks.push({
      type: 'actions',
      block_id: `approval:${tool.toolUseId}`,
      elements: [
        {
          type: 'button',
          action_id: ACTION_APPROVE,
          text: { type: 'plain_text', text: 'Approve' },
          style: 'primary',
          value: `${sessionId}|${tool.toolUseId}`,
        },
        {
          type: 'button',
          action_id: ACTION_DENY,
          text: { type: 'plain_text', text: 'Deny' },
          style: 'danger',
          value: `${sessionId}|${tool.toolUseId}`,
        },
      ],
    });
  } else if (tool.status === 'running') {
    blocks.push(stopActions(sessionId));
  }
  return blocks;
}

export function toolCardFallback(tool: ToolItem): string {
  const verb = tool.status === 'pending_approval' ? 'Approve?' : STATUS_LABEL[tool.status];
  return truncate(`${tool.name}: ${tool.summary} (${verb})`, 3000);
}

export function stopActions(sessionId: string): Block {
  return {
    type: 'actions',
    block_id: `stop:${sessionId}`,
    elements: [
      {
        type: 'button',
        action_id: ACTION_STOP,
        text: { type: 'plain_text', text: 'Stop' },
        style: 'danger',
        value: sessionId,
      },
    ],
  };
}

export function usageBlocks(line: string): Block[] {
  return [{ type: 'context', elements: [{ type: 'mrkdwn', text: line }] }];
}

export function stillWorkingBlocks(sessionId: string, minutes: number, stopReaction: string): Block[] {
  return [
    {
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: `:hourglass: Still working (nothing new for ${minutes} min). Reply \`stop\`, react :${stopReaction}: or press Stop to interrupt.`,
      },
    },
    stopActions(sessionId),
  ];
}
