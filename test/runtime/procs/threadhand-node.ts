/**
 * One Threadhand process for the multi-process tests: `createThreadhand` with Redis stores,
 * the real model client against the parent's fake Anthropic server, and a slow test tool
 * `step` that reports over IPC when it starts (so the parent can kill -9 mid tool call).
 * Env: REDIS_URL, PREFIX, ROLE (front|worker|all), MODEL_URL, MODEL_KEY, TOOL_MS, LEASE_TTL_MS,
 * SLOW_STOP_MS (delay before stopping on a signal);
 * with SLACK_API_URL and SLACK_SIGNING_SECRET a front also runs the Slack front door (HTTP
 * Events API on its own ephemeral port, reported as `url` in `ready`).
 * IPC in: {cmd:'create', tag} (creates a session whose first message is `tag`), {cmd:'settle'},
 *         {cmd:'stop'}.
 * IPC out: {type:'ready', url?}, {type:'created', tag, sessionId}, {type:'tool_start', sessionId, n},
 *          {type:'settled'}, {type:'stopped'}.
 */
import { AgentConfig, EnvironmentConfig } from '../../../src/config/schema.js';
import { createModelClient } from '../../../src/harness/model/client.js';
import { createLogger } from '../../../src/logging.js';
import { createThreadhand } from '../../../src/main.js';
import { parseRole } from '../../../src/runtime/roles.js';
import { installGracefulShutdown } from '../../../src/runtime/shutdown.js';
import { createRedisStores } from '../../../src/store/redis/index.js';
import { type Tool, textResult } from '../../../src/tools/types.js';
import { staticCatalog } from '../../helpers/threadhand.js';

const env = process.env;
const role = parseRole(env.ROLE);
const toolMs = Number(env.TOOL_MS ?? 200);
const logger = createLogger({ level: env.LOG_LEVEL ?? 'warn' });
const send = (message: Record<string, unknown>) => process.send?.({ ...message, pid: process.pid });

const stores = await createRedisStores({
  url: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix: env.PREFIX!,
  logger,
  queue: { lockDurationMs: 2000, stalledIntervalMs: 1000, closeTimeoutMs: 10_000 },
});

const step: Tool = {
  name: 'step',
  description: 'Does one step of the task; takes a moment.',
  input_schema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  kind: 'test',
  permission: 'always_allow',
  async run(input, ctx) {
    send({ type: 'tool_start', sessionId: ctx.sessionId, toolUseId: ctx.toolUseId, n: input.n });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, toolMs);
      ctx.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return textResult(`step ${String(input.n)} done`);
  },
};

const th = await createThreadhand({
  role,
  logger,
  stores,
  catalog: staticCatalog(
    [AgentConfig.parse({ name: 'chaos', model: 'claude-test' })],
    [EnvironmentConfig.parse({ name: 'default' })],
  ),
  model: createModelClient({ apiKey: env.MODEL_KEY ?? 'sk-ant-test-0000', baseURL: env.MODEL_URL! }),
  extraTools: [step],
  toolSources: [],
  sandboxProviders: [],
  http: env.SLACK_API_URL ? { host: '127.0.0.1', port: 0 } : false,
  harness: { leaseTtlMs: Number(env.LEASE_TTL_MS ?? 2000), retryBaseMs: 50, retryMaxMs: 500 },
});

let settle = async () => {};
if (env.SLACK_API_URL && role !== 'worker') {
  const { createSlackService } = await import('../../../src/chat/slack/service.js');
  const slack = createSlackService({
    runtime: th.runtime,
    logger,
    botToken: 'xoxb-test',
    signingSecret: env.SLACK_SIGNING_SECRET ?? 'test-signing-secret',
    app: th.app,
    apiUrl: env.SLACK_API_URL,
    config: { render: { updateIntervalMs: 50, statusDelayMs: 200 } },
  });
  th.services.push(slack);
  settle = () => slack.settled();
}

const shutdown = installGracefulShutdown({
  logger,
  deadlineMs: 20_000,
  async stop() {
    // Tests of the second signal need a shutdown that takes a while.
    if (env.SLOW_STOP_MS) await new Promise((resolve) => setTimeout(resolve, Number(env.SLOW_STOP_MS)));
    await th.stop();
    await stores.close();
    send({ type: 'stopped' });
  },
});

process.on('message', (raw) => {
  const message = raw as { cmd: string; tag?: string };
  if (message.cmd === 'create') {
    th.runtime
      .createSession({
        agent: 'chaos',
        environment: 'default',
        title: message.tag ?? null,
        initialEvents: [{ type: 'user.message', content: [{ type: 'text', text: message.tag ?? 'go' }] }],
      })
      .then(
        (session) => send({ type: 'created', tag: message.tag, sessionId: session.id }),
        (error: unknown) => send({ type: 'error', tag: message.tag, message: String(error) }),
      );
  } else if (message.cmd === 'settle') {
    settle().then(() => send({ type: 'settled' }));
  } else if (message.cmd === 'stop') {
    void shutdown.shutdown('parent asked');
  }
});

await th.start();
send({ type: 'ready', role, url: th.http?.url });
