/**
 * Environment variables: secrets and endpoints, validated once at start-up. Every problem is
 * one sentence that says what is wrong and what to do; all of them are reported together.
 */
import { z } from 'zod';

/** Unset and empty are the same thing for an environment variable. */
const opt = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), schema.optional());

const url = (name: string, what: string) =>
  opt(z.url({ error: `${name} must be a full URL such as ${what}` }));

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const EnvSchema = z.object({
  ANTHROPIC_API_KEY: opt(z.string()),
  /** Sent as `Authorization: Bearer` instead of `x-api-key` (gateways, proxies). */
  ANTHROPIC_AUTH_TOKEN: opt(z.string()),
  ANTHROPIC_BASE_URL: url('ANTHROPIC_BASE_URL', 'https://api.anthropic.com or http://127.0.0.1:8080'),

  THREADHAND_DATA_DIR: opt(z.string()).transform((v) => v ?? './.threadhand'),
  THREADHAND_AGENTS_DIR: opt(z.string()).transform((v) => v ?? './agents'),
  THREADHAND_HOST: opt(z.string()).transform((v) => v ?? '127.0.0.1'),
  THREADHAND_PORT: opt(
    z.coerce
      .number({ error: 'THREADHAND_PORT must be a port number between 0 and 65535, e.g. 4040' })
      .int('THREADHAND_PORT must be a whole port number between 0 and 65535, e.g. 4040')
      .min(0, 'THREADHAND_PORT must be a port number between 0 and 65535, e.g. 4040')
      .max(65535, 'THREADHAND_PORT must be a port number between 0 and 65535, e.g. 4040'),
  ).transform((v) => v ?? 4040),
  THREADHAND_GIT_FILE_URLS: opt(
    z.enum(['true', 'false'], { error: 'THREADHAND_GIT_FILE_URLS must be true or false' }),
  ),
  THREADHAND_WORKER_PORT: opt(
    z.coerce
      .number({ error: 'THREADHAND_WORKER_PORT must be a port number between 0 and 65535, e.g. 9464' })
      .int('THREADHAND_WORKER_PORT must be a whole port number between 0 and 65535, e.g. 9464')
      .min(0, 'THREADHAND_WORKER_PORT must be a port number between 0 and 65535, e.g. 9464')
      .max(65535, 'THREADHAND_WORKER_PORT must be a port number between 0 and 65535, e.g. 9464'),
  ),
  THREADHAND_ROLE: opt(
    z.enum(['all', 'front', 'worker'], { error: 'THREADHAND_ROLE must be one of all, front or worker' }),
  ).transform((v) => v ?? 'all'),
  THREADHAND_REDIS_URL: opt(
    z
      .string()
      .regex(
        /^rediss?:\/\/\S+$/,
        'THREADHAND_REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379',
      ),
  ),
  THREADHAND_WORKER_CONCURRENCY: opt(
    z.coerce
      .number({ error: 'THREADHAND_WORKER_CONCURRENCY must be a whole number of sessions, e.g. 64' })
      .int('THREADHAND_WORKER_CONCURRENCY must be a whole number of sessions, e.g. 64')
      .positive('THREADHAND_WORKER_CONCURRENCY must be at least 1, e.g. 64'),
  ).transform((v) => v ?? 64),
  THREADHAND_REDIS_PREFIX: opt(z.string()).transform((v) => v ?? 'threadhand:'),
  /** Comma-separated keys accepted by the HTTP API; none = loopback-only, no auth. */
  THREADHAND_API_KEYS: opt(z.string()).transform((v) =>
    (v ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
  ),
  THREADHAND_LOG_LEVEL: opt(
    z.enum(LOG_LEVELS, { error: `THREADHAND_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` }),
  ).transform((v) => v ?? 'info'),
  /** Model prices (YAML, USD per million tokens) for cost reports, budgets and metrics. */
  THREADHAND_PRICES_FILE: opt(z.string()),
  THREADHAND_SANDBOX_NETWORK: opt(
    z.enum(['proxy', 'host'], { error: 'THREADHAND_SANDBOX_NETWORK must be proxy or host' }),
  ).transform((v) => v ?? 'proxy'),
  /** Read by `webSearchFromEnv` (src/tools/builtin/web-search.ts): how web_search runs. */
  THREADHAND_WEB_SEARCH: opt(
    z.enum(['server', 'backend', 'off'], { error: 'THREADHAND_WEB_SEARCH must be server, backend or off' }),
  ),
  THREADHAND_WEB_SEARCH_URL: url(
    'THREADHAND_WEB_SEARCH_URL',
    'https://search.example.com/search?format=json',
  ),
  THREADHAND_WEB_SEARCH_KEY: opt(z.string()),
  /** Encrypts vault secrets at rest. */
  THREADHAND_SECRET_KEY: opt(
    z
      .string()
      .min(
        32,
        'THREADHAND_SECRET_KEY must be at least 32 characters: generate one with `openssl rand -hex 32`',
      ),
  ),

  SLACK_BOT_TOKEN: opt(z.string()),
  SLACK_APP_TOKEN: opt(z.string()),
  SLACK_SIGNING_SECRET: opt(z.string()),
  SLACK_API_URL: url('SLACK_API_URL', 'https://slack.com/api/'),
  /** Read by `slackSettingsFromEnv` (src/chat/slack/config.ts), which checks them in detail. */
  SLACK_CONFIG_FILE: opt(z.string()),
  SLACK_AGENT: opt(z.string()),
  SLACK_ENVIRONMENT: opt(z.string()),
  SLACK_APPROVERS: opt(z.string()),
  SLACK_ALLOWLIST: opt(z.string()),
  SLACK_STILL_WORKING_MINUTES: opt(
    z.coerce
      .number({ error: 'SLACK_STILL_WORKING_MINUTES must be a positive number of minutes, e.g. 10' })
      .positive('SLACK_STILL_WORKING_MINUTES must be a positive number of minutes, e.g. 10'),
  ),

  DISCORD_TOKEN: opt(z.string()),
  DISCORD_APPLICATION_ID: opt(z.string()),
  DISCORD_API_URL: url('DISCORD_API_URL', 'https://discord.com/api'),
  /** Read by `discordSettingsFromEnv` (src/chat/discord/config.ts). */
  DISCORD_OPERATOR_USERS: opt(z.string()),
  DISCORD_OPERATOR_ROLES: opt(z.string()),
  DISCORD_START_POLICY: opt(
    z.enum(['everyone', 'operators'], { error: 'DISCORD_START_POLICY must be everyone or operators' }),
  ).transform((v) => v ?? 'everyone'),
  DISCORD_RESPOND_TO_BOTS: opt(
    z.enum(['true', 'false', '1', '0'], { error: 'DISCORD_RESPOND_TO_BOTS must be true or false' }),
  ).transform((v) => v === 'true' || v === '1'),
  DISCORD_AGENT: opt(z.string()),
  DISCORD_ENVIRONMENT: opt(z.string()),

  E2B_API_KEY: opt(z.string()),
  E2B_DOMAIN: opt(z.string()),
  E2B_API_URL: url('E2B_API_URL', 'https://api.e2b.app'),
  E2B_SANDBOX_URL: url('E2B_SANDBOX_URL', 'http://127.0.0.1:49983'),

  /** Read by src/usage/otel.ts: OTLP/HTTP export of each run's spans (off when unset). */
  OTEL_EXPORTER_OTLP_ENDPOINT: url('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:4318'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(
    'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
    'http://127.0.0.1:4318/v1/traces',
  ),
  OTEL_SERVICE_NAME: opt(z.string()).transform((v) => v ?? 'threadhand'),
  /** Extra CA certificates (PEM file) Node and the egress proxy trust for upstream TLS. */
  NODE_EXTRA_CA_CERTS: opt(z.string()),
});

export type Env = z.output<typeof EnvSchema>;

export interface LoadEnvOptions {
  /** Whether this process calls the model (all-in-one and worker roles do). Default true. */
  requireModel?: boolean;
}

export const MISSING_API_KEY =
  'ANTHROPIC_API_KEY is not set: export your Anthropic API key (or set ANTHROPIC_BASE_URL to a compatible server) and run again.';

/** Environment variables that are wrong or missing; `message` has one sentence per line. */
export class EnvError extends Error {
  readonly code = 'env_invalid';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'EnvError';
  }
}

function crossChecks(env: Env, options: LoadEnvOptions): string[] {
  const problems: string[] = [];
  if ((options.requireModel ?? true) && !env.ANTHROPIC_API_KEY && !env.ANTHROPIC_AUTH_TOKEN) {
    problems.push(MISSING_API_KEY);
  }
  if (env.SLACK_BOT_TOKEN && !env.SLACK_SIGNING_SECRET && !env.SLACK_APP_TOKEN) {
    problems.push(
      'SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP events) nor SLACK_APP_TOKEN (Socket Mode) is: set one of them so Slack events reach Threadhand.',
    );
  }
  if (!env.SLACK_BOT_TOKEN && (env.SLACK_APP_TOKEN || env.SLACK_SIGNING_SECRET)) {
    problems.push(
      'SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set without SLACK_BOT_TOKEN: add the bot token (xoxb-...) to enable Slack.',
    );
  }
  if (env.THREADHAND_WEB_SEARCH === 'backend' && !env.THREADHAND_WEB_SEARCH_URL) {
    problems.push(
      'THREADHAND_WEB_SEARCH is backend but THREADHAND_WEB_SEARCH_URL is not set: set the search endpoint, or use server (Anthropic web search) or off.',
    );
  }
  return problems;
}

/** Validates the environment; every problem at once, or the typed config. */
export function parseEnv(
  source: NodeJS.ProcessEnv,
  options: LoadEnvOptions = {},
): { ok: true; env: Env } | { ok: false; problems: string[] } {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '');
      return issue.message.startsWith(name) ? `${issue.message}.` : `${name} is invalid: ${issue.message}.`;
    });
    return { ok: false, problems };
  }
  const problems = crossChecks(result.data, options);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, env: result.data };
}

/** Like `parseEnv`, but throws an `EnvError` listing every problem. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env, options: LoadEnvOptions = {}): Env {
  const result = parseEnv(source, options);
  if (!result.ok) throw new EnvError(result.problems);
  return result.env;
}
