/** Slack front door configuration (validated with zod; env vars and YAML share it). */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
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

const list = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export interface SlackSettings {
  botToken: string;
  appToken?: string;
  signingSecret?: string;
  apiUrl?: string;
  config: SlackConfigInput;
}

/**
 * Slack settings from the environment, or null when `SLACK_BOT_TOKEN` is not set.
 * `SLACK_CONFIG_FILE` (YAML, the `SlackConfig` shape: channels, approvers, allowlist,
 * reactions, render) is read by the caller and passed as `fileConfig`; the variables
 * SLACK_AGENT, SLACK_ENVIRONMENT, SLACK_APPROVERS, SLACK_ALLOWLIST (comma lists of user ids)
 * and SLACK_STILL_WORKING_MINUTES override it.
 */
export function slackSettingsFromEnv(env: NodeJS.ProcessEnv, fileConfig: unknown = {}): SlackSettings | null {
  const botToken = env.SLACK_BOT_TOKEN?.trim();
  if (!botToken) return null;
  const base = SlackConfig.safeParse(fileConfig ?? {});
  if (!base.success) {
    const issue = base.error.issues[0];
    throw new Error(`SLACK_CONFIG_FILE: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  const config: SlackConfig = base.data;
  const defaults = { ...(config.channels.default ?? { approvers: [] }) };
  if (env.SLACK_AGENT) defaults.agent = env.SLACK_AGENT;
  if (env.SLACK_ENVIRONMENT) defaults.environment = env.SLACK_ENVIRONMENT;
  config.channels = { ...config.channels, default: defaults };
  if (env.SLACK_APPROVERS) config.approvers = list(env.SLACK_APPROVERS);
  if (env.SLACK_ALLOWLIST) config.allowlist = list(env.SLACK_ALLOWLIST);
  if (env.SLACK_STILL_WORKING_MINUTES) {
    const minutes = Number(env.SLACK_STILL_WORKING_MINUTES);
    if (!(minutes > 0)) throw new Error('SLACK_STILL_WORKING_MINUTES: use a positive number of minutes.');
    config.render = { ...config.render, stillWorkingMs: Math.round(minutes * 60_000) };
  }
  const opt = (v: string | undefined) => (v?.trim() ? v.trim() : undefined);
  return {
    botToken,
    appToken: opt(env.SLACK_APP_TOKEN),
    signingSecret: opt(env.SLACK_SIGNING_SECRET),
    apiUrl: opt(env.SLACK_API_URL),
    config,
  };
}

/** Reads `SLACK_CONFIG_FILE` (YAML); an empty object when no path is given. */
export async function readSlackConfigFile(path: string | undefined): Promise<unknown> {
  if (!path?.trim()) return {};
  try {
    return parse(await readFile(path, 'utf8')) ?? {};
  } catch (error) {
    throw new Error(`SLACK_CONFIG_FILE ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
