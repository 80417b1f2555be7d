/**
 * Generates docs/configuration.md from the zod schemas: environment variables from
 * `EnvSchema` (defaults computed by the schema itself; `ENV_DOCS` must name every variable,
 * which the compiler enforces), YAML fields of agents and environments from
 * `z.toJSONSchema`. `npm run docs:config` writes the file; a test fails when it drifts.
 */
import { z } from 'zod';
import { createMetrics } from '../runtime/metrics.js';
import { EnvSchema } from './env.js';
import { FIELD_DOCS } from './reference-fields.js';
import { AgentConfig, EnvironmentConfig } from './schema.js';

type EnvName = keyof typeof EnvSchema.shape;
interface EnvDoc {
  group: 'Model' | 'Server' | 'Storage' | 'Slack' | 'Discord' | 'Sandboxes' | 'Observability';
  description: string;
  example: string;
  secret?: boolean;
  /** An external endpoint (listed again in the overrides table). */
  endpoint?: string;
}

export const ENV_DOCS: Record<EnvName, EnvDoc> = {
  ANTHROPIC_API_KEY: {
    group: 'Model',
    description: 'Anthropic API key (sent as `x-api-key`). Needed by the all and worker roles.',
    example: 'sk-ant-...',
    secret: true,
  },
  ANTHROPIC_AUTH_TOKEN: {
    group: 'Model',
    description: 'Sent as `Authorization: Bearer` instead of an API key (gateways, proxies).',
    example: 'tok-...',
    secret: true,
  },
  ANTHROPIC_BASE_URL: {
    group: 'Model',
    description: 'Messages API base URL.',
    example: 'http://127.0.0.1:8080',
    endpoint: 'https://api.anthropic.com',
  },
  THREADHAND_DATA_DIR: {
    group: 'Storage',
    description: 'Where the SQLite stores and sandbox workspaces live.',
    example: '/var/lib/threadhand',
  },
  THREADHAND_AGENTS_DIR: {
    group: 'Server',
    description: 'Directory of agent YAML files; environments in its `environments/` folder.',
    example: './agents',
  },
  THREADHAND_HOST: {
    group: 'Server',
    description:
      'Address the one HTTP listener binds (API, Slack events, web console, /healthz, /readyz, /metrics). A non-loopback address needs THREADHAND_API_KEYS.',
    example: '0.0.0.0',
  },
  THREADHAND_PORT: {
    group: 'Server',
    description: 'Port of the HTTP listener (0 picks a free one).',
    example: '4040',
  },
  THREADHAND_GIT_FILE_URLS: {
    group: 'Server',
    description:
      "Allow `github_repository` session resources with file:// URLs (cloned from this host's disk into the sandbox). Off by default: the sandbox never sees host files otherwise.",
    example: 'true',
  },
  THREADHAND_WORKER_PORT: {
    group: 'Server',
    description:
      'With `--role worker`: serve `/healthz`, `/readyz` and `/metrics` (no API) on this port, so workers can be probed and scraped. Unset: a worker opens no port.',
    example: '9464',
  },
  THREADHAND_ROLE: {
    group: 'Server',
    description:
      '`all` (one process), `front` (HTTP and chat only) or `worker` (runs sessions); front and worker need Redis.',
    example: 'worker',
  },
  THREADHAND_REDIS_URL: {
    group: 'Storage',
    description:
      'Use Redis for the log, leases, queue and KV instead of SQLite (required for several processes).',
    example: 'redis://127.0.0.1:6379',
    secret: true,
  },
  THREADHAND_REDIS_PREFIX: {
    group: 'Storage',
    description: 'Key prefix of everything this deployment keeps in Redis.',
    example: 'threadhand-prod:',
  },
  THREADHAND_API_KEYS: {
    group: 'Server',
    description:
      'Comma-separated keys the HTTP API accepts (`x-api-key` or Bearer). None: no auth, loopback only.',
    example: 'key-one,key-two',
    secret: true,
  },
  THREADHAND_LOG_LEVEL: {
    group: 'Server',
    description: 'pino log level. Logs are JSON on stderr, pretty in a terminal.',
    example: 'debug',
  },
  THREADHAND_PRICES_FILE: {
    group: 'Model',
    description:
      'YAML price table (USD per million tokens by model prefix: input, output, cache_read, cache_write) for costs, budgets and metrics.',
    example: './prices.yaml',
  },
  THREADHAND_WORKER_CONCURRENCY: {
    group: 'Server',
    description:
      'How many sessions one worker process runs at once (a running turn holds its slot until it goes idle; more wait in the queue).',
    example: '128',
  },
  THREADHAND_SANDBOX_NETWORK: {
    group: 'Sandboxes',
    description:
      'How unrestricted local sandboxes reach the network: `proxy` (egress proxy, private addresses refused) or `host`.',
    example: 'host',
  },
  THREADHAND_WEB_SEARCH: {
    group: 'Sandboxes',
    description:
      "How the built-in `web_search` runs: `server` (Anthropic's server-side web search for Claude models that support it; the backend, if set, for other models), `backend` (THREADHAND_WEB_SEARCH_URL for every model) or `off`. Default: `backend` when THREADHAND_WEB_SEARCH_URL is set, else `server`. Agents offer web_search when their toolset enables it explicitly, or when a backend is set.",
    example: 'backend',
  },
  THREADHAND_WEB_SEARCH_URL: {
    group: 'Sandboxes',
    description:
      'Search backend for `web_search`: `GET <url>?q=<query>&count=<n>` answering `{"results": [{"title", "url", "snippet"}]}` (SearXNG with `format=json` fits). Called by Threadhand, not the sandbox.',
    example: 'https://searx.example.com/search?format=json',
    endpoint: '(none)',
  },
  THREADHAND_WEB_SEARCH_KEY: {
    group: 'Sandboxes',
    description: 'Sent to the search backend as `Authorization: Bearer`.',
    example: 'key-...',
    secret: true,
  },
  THREADHAND_SECRET_KEY: {
    group: 'Storage',
    description: 'Encrypts vault secrets at rest (32+ characters).',
    example: '$(openssl rand -hex 32)',
    secret: true,
  },
  SLACK_BOT_TOKEN: {
    group: 'Slack',
    description: 'Bot token; setting it turns the Slack front door on.',
    example: 'xoxb-...',
    secret: true,
  },
  SLACK_APP_TOKEN: {
    group: 'Slack',
    description: 'App-level token for Socket Mode (no public URL needed).',
    example: 'xapp-...',
    secret: true,
  },
  SLACK_SIGNING_SECRET: {
    group: 'Slack',
    description: 'Verifies HTTP events posted to `/slack/events`.',
    example: '8f14e45f...',
    secret: true,
  },
  SLACK_API_URL: {
    group: 'Slack',
    description: 'Slack Web API base (GovSlack, proxies, tests).',
    example: 'https://slack-gov.com/api/',
    endpoint: 'https://slack.com/api/',
  },
  SLACK_CONFIG_FILE: {
    group: 'Slack',
    description: 'YAML with channels, approvers, allowlist, reactions and render settings (docs/slack.md).',
    example: './slack.yaml',
  },
  SLACK_AGENT: {
    group: 'Slack',
    description: 'Agent for new Slack sessions (overrides the config file).',
    example: 'coder',
  },
  SLACK_ENVIRONMENT: {
    group: 'Slack',
    description: 'Environment for new Slack sessions.',
    example: 'default',
  },
  SLACK_APPROVERS: {
    group: 'Slack',
    description: 'Comma-separated user ids allowed to approve `always_ask` tool calls.',
    example: 'U012AB3CD,U045EF6GH',
  },
  SLACK_ALLOWLIST: {
    group: 'Slack',
    description: 'Comma-separated user ids allowed to start sessions (empty: everyone).',
    example: 'U012AB3CD',
  },
  SLACK_STILL_WORKING_MINUTES: {
    group: 'Slack',
    description: 'Minutes of silence before a "still working" note.',
    example: '10',
  },
  DISCORD_TOKEN: {
    group: 'Discord',
    description: 'Bot token; setting it turns the Discord front door on.',
    example: 'MTA...',
    secret: true,
  },
  DISCORD_APPLICATION_ID: {
    group: 'Discord',
    description: 'Application id for `threadhand discord register` (slash commands).',
    example: '1234567890',
  },
  DISCORD_API_URL: {
    group: 'Discord',
    description: 'Discord REST base; the gateway URL is discovered from it.',
    example: 'http://127.0.0.1:9000/api',
    endpoint: 'https://discord.com/api',
  },
  DISCORD_OPERATOR_USERS: {
    group: 'Discord',
    description: 'Comma-separated user ids that may approve tool calls and stop sessions.',
    example: '80351110224678912',
  },
  DISCORD_OPERATOR_ROLES: {
    group: 'Discord',
    description: 'Comma-separated role ids with operator rights.',
    example: '41771983423143937',
  },
  DISCORD_START_POLICY: {
    group: 'Discord',
    description: 'Who may start sessions: `everyone` or `operators`.',
    example: 'operators',
  },
  DISCORD_RESPOND_TO_BOTS: {
    group: 'Discord',
    description: 'Answer messages from other bots.',
    example: 'true',
  },
  DISCORD_AGENT: { group: 'Discord', description: 'Agent for new Discord sessions.', example: 'coder' },
  DISCORD_ENVIRONMENT: {
    group: 'Discord',
    description: 'Environment for new Discord sessions.',
    example: 'default',
  },
  E2B_API_KEY: {
    group: 'Sandboxes',
    description: 'E2B API key (environments with `provider: e2b`).',
    example: 'e2b_...',
    secret: true,
  },
  E2B_DOMAIN: {
    group: 'Sandboxes',
    description: 'E2B domain (self-hosted E2B); API and sandbox URLs derive from it.',
    example: 'e2b.example.com',
    endpoint: 'e2b.app',
  },
  E2B_API_URL: {
    group: 'Sandboxes',
    description: 'E2B control-plane URL (overrides the one derived from E2B_DOMAIN).',
    example: 'http://127.0.0.1:3000',
    endpoint: 'https://api.e2b.app',
  },
  E2B_SANDBOX_URL: {
    group: 'Sandboxes',
    description: 'URL of the sandbox daemon (envd), for local E2B or tests.',
    example: 'http://127.0.0.1:49983',
    endpoint: 'https://<port>-<sandbox id>.e2b.app',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    group: 'Observability',
    description:
      "OTLP/HTTP collector base; each run's spans are exported to `<endpoint>/v1/traces`. Off when unset.",
    example: 'http://127.0.0.1:4318',
    endpoint: '(none)',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    group: 'Observability',
    description: 'Full traces URL (wins over OTEL_EXPORTER_OTLP_ENDPOINT).',
    example: 'http://collector:4318/v1/traces',
    endpoint: '(none)',
  },
  OTEL_SERVICE_NAME: {
    group: 'Observability',
    description: '`service.name` of exported spans.',
    example: 'threadhand-prod',
  },
  NODE_EXTRA_CA_CERTS: {
    group: 'Sandboxes',
    description:
      'PEM file of extra CAs trusted for upstream TLS (corporate proxies; the egress proxy honours it too).',
    example: '/etc/ssl/corp-ca.pem',
  },
};

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string) => (s === '' ? '' : `\`${s}\``);

function envDefault(name: EnvName): string {
  const parsed = EnvSchema.shape[name].safeParse(undefined);
  if (!parsed.success || parsed.data === undefined) return '';
  const v = parsed.data as unknown;
  if (Array.isArray(v)) return v.length === 0 ? '(none)' : v.join(',');
  return String(v);
}

function envSection(): string[] {
  const lines: string[] = [
    '## Environment variables',
    '',
    'Secrets are redacted from logs. `threadhand config check` validates all of them.',
    '',
  ];
  const groups = [...new Set(Object.values(ENV_DOCS).map((d) => d.group))];
  for (const group of groups) {
    lines.push(
      `### ${group}`,
      '',
      '| Variable | Default | Example | Description |',
      '| --- | --- | --- | --- |',
    );
    for (const [name, doc] of Object.entries(ENV_DOCS) as [EnvName, EnvDoc][]) {
      if (doc.group !== group) continue;
      const secret = doc.secret ? ' (secret)' : '';
      lines.push(
        `| \`${name}\` | ${code(envDefault(name))} | ${code(cell(doc.example))} | ${cell(doc.description)}${secret} |`,
      );
    }
    lines.push('');
  }
  lines.push(
    '## External endpoints',
    '',
    'Every outbound endpoint can be pointed elsewhere (GovSlack, corporate proxies, self-hosted gateways, local fakes):',
    '',
    '| Service | Variable | Default |',
    '| --- | --- | --- |',
  );
  for (const [name, doc] of Object.entries(ENV_DOCS) as [EnvName, EnvDoc][]) {
    if (doc.endpoint) lines.push(`| ${doc.group} | \`${name}\` | \`${doc.endpoint}\` |`);
  }
  lines.push('');
  return lines;
}

type Json = { [k: string]: unknown };
interface FieldRow {
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
}

function typeOf(s: Json): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (Array.isArray(s.enum)) return s.enum.map((v) => `\`${String(v)}\``).join(' | ');
  const variants = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (variants) {
    const parts = variants.filter((v) => v.type !== 'null').map(typeOf);
    return [...new Set(parts)].join(' or ');
  }
  if (Array.isArray(s.type)) return s.type.filter((t) => t !== 'null').join(' or ');
  if (s.type === 'array') return `list of ${typeOf((s.items ?? {}) as Json)}`;
  if (
    s.type === 'object' &&
    s.additionalProperties &&
    typeof s.additionalProperties === 'object' &&
    !s.properties
  )
    return 'map of string';
  return String(s.type ?? 'any');
}

const tagOf = (v: Json): unknown => (v.properties as Record<string, Json> | undefined)?.type?.const;
const nonNull = (s: Json): Json[] | undefined =>
  ((s.anyOf ?? s.oneOf) as Json[] | undefined)?.filter((v) => v.type !== 'null');
const tagged = (vs: Json[] | undefined): boolean =>
  !!vs && vs.length > 0 && vs.every((v) => v.type === 'object' && v.properties && tagOf(v) !== undefined);

/** Flattens a JSON schema into rows: `tools[type=custom].name`, `compaction.enabled`, ... */
function fields(schema: Json, prefix: string, out: FieldRow[]): void {
  const variants = nonNull(schema);
  if (variants && tagged(variants)) {
    for (const v of variants) fields(v, `${prefix}[type=${String(tagOf(v))}]`, out);
    return;
  }
  const req = new Set((schema.required as string[] | undefined) ?? []);
  for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const row: FieldRow = { path, type: typeOf(sub), required: req.has(key), default: sub.default };
    const subVariants = nonNull(sub);
    if (subVariants && tagged(subVariants)) {
      row.type = subVariants.map((v) => `{type: ${String(tagOf(v))}}`).join(' or ');
      out.push(row);
      fields(sub, path, out);
    } else if (sub.type === 'object' && sub.properties) {
      out.push(row);
      fields(sub, path, out);
    } else if (sub.type === 'array' && sub.items) {
      out.push(row);
      const items = sub.items as Json;
      if (tagged(nonNull(items))) fields(items, path, out);
      else if (items.properties) fields(items, `${path}[]`, out);
    } else {
      out.push(row);
      // e.g. model: a string or {id, effort, speed}: document the object form's fields too.
      const objectVariant = subVariants?.find((v) => v.type === 'object' && v.properties);
      if (objectVariant) fields(objectVariant, path, out);
    }
  }
}

function yamlSection(
  title: string,
  key: 'agent' | 'environment',
  schema: z.ZodType,
  intro: string,
): string[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  const rows: FieldRow[] = [];
  fields(json, '', rows);
  // Defaults zod leaves out of the input schema (e.g. `tools`): ask the schema itself.
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape ?? {};
  for (const row of rows) {
    const field = shape[row.path];
    if (row.default !== undefined || !field) continue;
    const parsed = field.safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) row.default = parsed.data;
  }
  const lines = [
    `## ${title}`,
    '',
    intro,
    '',
    '| Field | Type | Required | Default | Example | Description |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const doc = FIELD_DOCS[`${key}.${row.path}`];
    const def = row.default === undefined ? '' : code(JSON.stringify(row.default));
    lines.push(
      `| \`${row.path}\` | ${cell(row.type)} | ${row.required ? 'yes' : ''} | ${def} | ${doc?.example ? code(cell(doc.example)) : ''} | ${cell(doc?.description ?? '')} |`,
    );
  }
  lines.push('');
  return lines;
}

function metricsSection(): string[] {
  const lines = [
    '## Metrics',
    '',
    'Served at `/metrics` (one registry per Threadhand instance). Counters are per process: sum them across replicas.',
    '',
    '| Metric | Type | Labels | What |',
    '| --- | --- | --- | --- |',
  ];
  for (const metric of createMetrics().registry.getMetricsAsArray()) {
    const m = metric as unknown as { name: string; type: string; labelNames?: string[]; help: string };
    lines.push(`| \`${m.name}\` | ${m.type} | ${(m.labelNames ?? []).join(', ')} | ${cell(m.help)} |`);
  }
  lines.push('');
  return lines;
}

/** The whole of docs/configuration.md. */
export function renderConfigurationReference(): string {
  return [
    '# Configuration reference',
    '',
    '<!-- Generated by src/config/reference.ts from the zod schemas. Do not edit: run `npm run docs:config`. -->',
    '',
    'Threadhand reads environment variables (secrets, endpoints, process settings) and YAML files: agents in `THREADHAND_AGENTS_DIR/*.yaml`, environments in `THREADHAND_AGENTS_DIR/environments/*.yaml`. Check everything at once with `threadhand config check` (exit code 2 when anything is wrong).',
    '',
    ...envSection(),
    ...yamlSection(
      'Agent YAML',
      'agent',
      AgentConfig,
      'One agent per file (`agents/<name>.yaml`). Field names follow the Managed Agents API, so a YAML file and an API body describe the same agent.',
    ),
    ...yamlSection(
      'Environment YAML',
      'environment',
      EnvironmentConfig,
      'One environment per file (`agents/environments/<name>.yaml`): where and how the tools run.',
    ),
    '## Operations endpoints',
    '',
    '| Path | What |',
    '| --- | --- |',
    '| `GET /healthz` | 200 while the process is up. |',
    '| `GET /readyz` | 200 when the store answers and every front door is connected; 503 with `{"status":"not_ready","problems":{...}}` naming the part that is not. |',
    '| `GET /metrics` | Prometheus text format (not behind the API key; counts and timings only). |',
    '',
    ...metricsSection(),
  ].join('\n');
}
