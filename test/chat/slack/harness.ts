/**
 * A real Threadhand (runtime + harness + fake model) with the Slack front door pointed at
 * the fake Slack Web API, over HTTP Events (signed posts to the shared app) or Socket Mode.
 */

import { type HttpServer, startHttpServer } from '../../../src/api/http.js';
import type { SlackConfigInput } from '../../../src/chat/slack/config.js';
import { createSlackService, type SlackService } from '../../../src/chat/slack/service.js';
import type { AgentConfigInput, EnvironmentConfigInput } from '../../../src/config/schema.js';
import { createLogger, silentLogger } from '../../../src/logging.js';
import type { Stores } from '../../../src/store/types.js';
import { type Tool, textResult } from '../../../src/tools/types.js';
import type { FakeScript } from '../../fakes/anthropic/types.js';
import { postSignedSlack } from '../../fakes/slack/signed.js';
import { type FakeSocketMode, startFakeSocketMode } from '../../fakes/slack/socket-mode.js';
import { type FakeSlack, type FakeSlackOptions, startFakeSlack } from '../../fakes/slack/web-api.js';
import { startTestThreadhand, type TestThreadhand } from '../../helpers/threadhand.js';

export const SECRET = 'test-signing-secret';
export const TEAM = 'T0TEAM';
export const CHANNEL = 'C0GENERAL';
export const ALICE = 'U0ALICE';
export const BOB = 'U0BOB';

export interface SlackHarness {
  t: TestThreadhand;
  slack: FakeSlack;
  socket?: FakeSocketMode;
  service: SlackService;
  http?: HttpServer;
  /** Delivers an Events API payload (signed HTTP post, or a Socket Mode envelope). */
  deliver(event: Record<string, unknown>, options?: { eventId?: string; retryNum?: number }): Promise<number>;
  /** A person posts `text` (root message when no threadTs); the bot gets the events Slack would send. */
  say(
    user: string,
    text: string,
    options?: { threadTs?: string; mention?: boolean; channel?: string },
  ): Promise<string>;
  react(user: string, reaction: string, ts: string, channel?: string): Promise<void>;
  click(user: string, actionId: string, value: string, messageTs: string, threadTs: string): Promise<number>;
  command(user: string, text: string): Promise<{ status: number; body: string }>;
  /** Restarts the Slack front door (new service, same stores) — like a process restart. */
  restartService(): Promise<void>;
  close(): Promise<void>;
}

let eventCounter = 0;

export async function startSlackHarness(options: {
  script: FakeScript;
  tools?: Tool[];
  mode?: 'http' | 'socket';
  config?: SlackConfigInput;
  slack?: FakeSlackOptions;
  stores?: Stores;
  /** Agents of the catalog (the first is the default); default one `claude-test` agent. */
  agents?: AgentConfigInput[];
  /** Environments of the catalog (the first is the default); default one `default`. */
  environments?: EnvironmentConfigInput[];
}): Promise<SlackHarness> {
  const mode = options.mode ?? 'http';
  const t = await startTestThreadhand({
    script: options.script,
    extraTools: options.tools ?? [],
    start: false,
    stores: options.stores,
    ...(options.agents ? { agents: options.agents } : {}),
    ...(options.environments ? { environments: options.environments } : {}),
  });
  const slack = await startFakeSlack({ teamId: TEAM, ...options.slack });
  const socket = mode === 'socket' ? await startFakeSocketMode(slack) : undefined;
  const config: SlackConfigInput = {
    ...options.config,
    render: { updateIntervalMs: 50, statusDelayMs: 200, ...options.config?.render },
  };
  const make = () =>
    createSlackService({
      runtime: t.th.runtime,
      logger: process.env.SLACK_TEST_DEBUG ? createLogger({ level: 'debug' }) : silentLogger(),
      botToken: 'xoxb-test',
      ...(mode === 'socket' ? { appToken: 'xapp-test' } : { signingSecret: SECRET, app: t.th.app }),
      apiUrl: slack.apiUrl,
      config,
    });
  let service = make();
  t.th.services.push(service);
  await t.th.start();
  const http = mode === 'http' ? await startHttpServer(t.th.app, { host: '127.0.0.1', port: 0 }) : undefined;
  if (socket) await socket.connected();

  const eventsUrl = () => `${http!.url}/slack/events`;
  const deliver: SlackHarness['deliver'] = async (event, opts = {}) => {
    const eventId = opts.eventId ?? `Ev${++eventCounter}`;
    const payload = {
      token: 'x',
      team_id: TEAM,
      api_app_id: 'A0APP',
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      event,
    };
    if (socket) {
      await socket.send('events_api', payload, { retryAttempt: opts.retryNum });
      return 200;
    }
    const res = await postSignedSlack(eventsUrl(), SECRET, payload, { retryNum: opts.retryNum });
    return res.status;
  };

  const harness: SlackHarness = {
    t,
    slack,
    socket,
    get service() {
      return service;
    },
    http,
    deliver,
    async say(user, text, opts = {}) {
      const channel = opts.channel ?? CHANNEL;
      const mention = opts.mention ?? !opts.threadTs;
      const body = mention ? `<@U0BOT> ${text}` : text;
      const ts = slack.addUserMessage(channel, body, opts.threadTs);
      const base = {
        user,
        text: body,
        ts,
        channel,
        team: TEAM,
        event_ts: ts,
        ...(opts.threadTs ? { thread_ts: opts.threadTs } : {}),
      };
      if (mention) await deliver({ type: 'app_mention', ...base });
      await deliver({ type: 'message', channel_type: channel.startsWith('D') ? 'im' : 'channel', ...base });
      return ts;
    },
    async react(user, reaction, ts, channel = CHANNEL) {
      await deliver({
        type: 'reaction_added',
        user,
        reaction,
        item: { type: 'message', channel, ts },
        item_user: 'U0BOT',
        event_ts: `${Date.now() / 1000}`,
      });
    },
    async click(user, actionId, value, messageTs, threadTs) {
      const payload = {
        type: 'block_actions',
        team: { id: TEAM },
        user: { id: user, team_id: TEAM },
        api_app_id: 'A0APP',
        token: 'x',
        trigger_id: 'trig',
        channel: { id: CHANNEL },
        container: { type: 'message', message_ts: messageTs, channel_id: CHANNEL },
        message: { ts: messageTs, thread_ts: threadTs, type: 'message' },
        actions: [
          { type: 'button', action_id: actionId, block_id: 'b', value, action_ts: `${Date.now() / 1000}` },
        ],
        response_url: `${slack.url}/response`,
      };
      if (socket) {
        await socket.send('interactive', payload);
        return 200;
      }
      const res = await postSignedSlack(eventsUrl(), SECRET, { payload }, { encoding: 'form' });
      return res.status;
    },
    async command(user, text) {
      const payload = {
        token: 'x',
        team_id: TEAM,
        channel_id: CHANNEL,
        user_id: user,
        command: '/threadhand',
        text,
        response_url: `${slack.url}/response`,
        trigger_id: 'trig',
        api_app_id: 'A0APP',
      };
      if (socket) {
        const ack = await socket.send('slash_commands', payload);
        return { status: 200, body: JSON.stringify(ack.payload ?? '') };
      }
      const res = await postSignedSlack(eventsUrl(), SECRET, payload, { encoding: 'form' });
      return { status: res.status, body: await res.text() };
    },
    async restartService() {
      await service.stop();
      t.th.services.splice(t.th.services.indexOf(service), 1);
      if (mode === 'http')
        throw new Error('restartService is for socket mode (the HTTP route is mounted once per app)');
      service = make();
      t.th.services.push(service);
      await service.start();
      await socket!.connected();
    },
    async close() {
      await t.close();
      await http?.close();
      await socket?.close();
      await slack.close();
    },
  };
  return harness;
}

/** A tool named like the built-in shell so cards look real; runs instantly. */
export function fakeBash(
  permission: 'always_allow' | 'always_ask' = 'always_allow',
  calls: string[] = [],
): Tool {
  return {
    name: 'bash',
    description: 'Runs a shell command.',
    input_schema: { type: 'object', properties: { command: { type: 'string' } } },
    kind: 'test',
    permission,
    async run(input) {
      calls.push(String(input.command));
      return textResult(`ran ${String(input.command)}\nexit code: 0`);
    },
  };
}

/** A shell-like tool that blocks until aborted (to interrupt). */
export function blockingBash(): Tool & { started: () => boolean } {
  let started = false;
  return {
    name: 'bash',
    description: 'Runs a shell command.',
    input_schema: { type: 'object', properties: { command: { type: 'string' } } },
    kind: 'test',
    permission: 'always_allow',
    started: () => started,
    run(_input, ctx) {
      started = true;
      return new Promise((resolve) => {
        ctx.signal.addEventListener('abort', () => resolve(textResult('interrupted', true)), { once: true });
      });
    },
  };
}

/** A shell-like tool that waits until `release()` (to send messages while the agent works). */
export function gatedBash(): Tool & { started: () => boolean; release: () => void } {
  let started = false;
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    name: 'bash',
    description: 'Runs a shell command.',
    input_schema: { type: 'object', properties: { command: { type: 'string' } } },
    kind: 'test',
    permission: 'always_allow',
    started: () => started,
    release: () => open(),
    async run(input) {
      started = true;
      await opened;
      return textResult(`ran ${String(input.command)}\nexit code: 0`);
    },
  };
}
