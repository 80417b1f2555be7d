/** Slack front door configuration (validated with zod; env vars and YAML share it). */
import { z } from 'zod';

export const SlackChannelConfig = z.strictObject({
  agent: z.string().optional(),
  environment: z.string().optional(),
  /** Slack user ids who may approve and stop in this channel (besides a session's starter). */
  approvers: z.array(z.string()).default([]),
  /** When set, only these users' messages are trusted in this channel. */
  allowlist: z.array(z.string()).optional(),
});
export type SlackChannelConfig = z.infer<typeof SlackChannelConfig>;

export const SlackReactions = z.strictObject({
  interrupt: z.string().default('octagonal_sign'),
  approve: z.string().default('white_check_mark'),
  deny: z.string().default('x'),
  /** Added to a message that arrives while the agent works (it goes in as steering). */
  received: z.string().default('eyes'),
});
export type SlackReactions = z.infer<typeof SlackReactions>;

export const SlackRenderConfig = z.strictObject({
  /** Minimum time between appends / edits of one message. */
  updateIntervalMs: z.number().int().nonnegative().default(1000),
  /** Start a new message before a stream gets this old (Slack expires streams after ~5 min). */
  streamMaxAgeMs: z.number().int().positive().default(240_000),
  /** Start a new message before one holds this many characters. */
  messageMaxChars: z.number().int().positive().default(30_000),
  /** Show a new status ("running bash…") only when it lasts this long. */
  statusDelayMs: z.number().int().nonnegative().default(2000),
  /** One "still working" notice when a running turn has shown nothing this long. */
  stillWorkingMs: z.number().int().positive().default(300_000),
  /** Use chat.startStream (falls back to post + update by itself when Slack refuses). */
  streaming: z.boolean().default(true),
});
export type SlackRenderConfig = z.infer<typeof SlackRenderConfig>;

export const SlackConfig = z.strictObject({
  /** Per channel id; `default` applies to channels not listed (and DMs). */
  channels: z.record(z.string(), SlackChannelConfig).default({}),
  /** Approvers everywhere. */
  approvers: z.array(z.string()).default([]),
  /** Workspace-wide allowlist; absent = everyone is trusted. */
  allowlist: z.array(z.string()).optional(),
  reactions: SlackReactions.default(SlackReactions.parse({})),
  render: SlackRenderConfig.default(SlackRenderConfig.parse({})),
});
export type SlackConfig = z.infer<typeof SlackConfig>;
export type SlackConfigInput = z.input<typeof SlackConfig>;

export interface ChannelPolicy {
  agent?: string;
  environment?: string;
  approvers: Set<string>;
  allowlist?: Set<string>;
}

export function channelPolicy(config: SlackConfig, channel: string): ChannelPolicy {
  const specific = config.channels[channel] ?? config.channels.default;
  const allow = specific?.allowlist ?? config.allowlist;
  return {
    agent: specific?.agent,
    environment: specific?.environment,
    approvers: new Set([...config.approvers, ...(specific?.approvers ?? [])]),
    allowlist: allow ? new Set(allow) : undefined,
  };
}

/** Thread key used in bindings: `T…:C…:<thread_ts>`. */
export function threadKey(team: string, channel: string, threadTs: string): string {
  return `${team}:${channel}:${threadTs}`;
}
