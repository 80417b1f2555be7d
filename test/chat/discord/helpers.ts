/**
 * The whole stack for Discord tests: a real Threadhand (runtime, harness, SQLite) over the
 * fake model, the real discord.js client in `createDiscordService`, and the fake Discord.
 */
import {
  createDiscordService,
  type DiscordConfigInput,
  type DiscordService,
} from '../../../src/chat/discord/index.js';
import type { AgentConfigInput } from '../../../src/config/schema.js';
import { createLogger, silentLogger } from '../../../src/logging.js';
import type { Tool } from '../../../src/tools/types.js';
import type { FakeScript } from '../../fakes/anthropic/types.js';
import {
  type FakeDiscord,
  type FakeDiscordOptions,
  type FakeMessage,
  makeUser,
  startFakeDiscord,
} from '../../fakes/discord/index.js';
import { startTestThreadhand, type TestThreadhand, until } from '../../helpers/threadhand.js';

export { until };
export const alice = makeUser('100000000000000001', 'alice');
export const mallory = makeUser('100000000000000002', 'mallory');

export interface DiscordStack {
  t: TestThreadhand;
  discord: FakeDiscord;
  service: DiscordService;
  /** Stops and starts the Discord service again (same KV, same fake Discord). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startDiscordStack(
  options: {
    script?: FakeScript;
    extraTools?: Tool[];
    /** Agents in the catalog (default: one `test` agent on the unpriced `claude-test`). */
    agents?: AgentConfigInput[];
    config?: DiscordConfigInput;
    fake?: FakeDiscordOptions;
    /** Also serve HTTP (the API under `/v1`): `t.th.http.url`. */
    http?: { host?: string; port?: number };
  } = {},
): Promise<DiscordStack> {
  const t = await startTestThreadhand({
    script: options.script ?? [],
    ...(options.http ? { http: options.http } : {}),
    ...(options.extraTools ? { extraTools: options.extraTools } : {}),
    ...(options.agents ? { agents: options.agents } : {}),
  });
  const discord = await startFakeDiscord(options.fake);
  const make = () =>
    createDiscordService({
      runtime: t.th.runtime,
      // THREADHAND_TEST_LOG=debug shows the service's logs when a test needs explaining.
      logger: process.env.THREADHAND_TEST_LOG
        ? createLogger({ level: process.env.THREADHAND_TEST_LOG })
        : silentLogger(),
      token: discord.token,
      apiUrl: discord.url,
      kv: t.th.stores.kv,
      config: { throttleMs: 100, channelIntervalMs: 0, ...options.config },
      rest: { retries: 0 },
    });
  const stack: DiscordStack = {
    t,
    discord,
    service: make(),
    async restart() {
      await stack.service.stop();
      stack.service = make();
      await stack.service.start();
    },
    async close() {
      await stack.service.stop();
      await t.close();
      await discord.close();
    },
  };
  await stack.service.start();
  return stack;
}

/** The thread the bot opened on a message (Discord gives the thread the message's id). */
export async function threadOn(discord: FakeDiscord, messageId: string): Promise<string> {
  await until(() => discord.thread(messageId), 10_000, 'a thread on the message');
  return messageId;
}

/** Waits for the bot's end-of-turn footer in a thread, `count` of them. */
export async function footers(
  discord: FakeDiscord,
  channelId: string,
  count = 1,
  timeoutMs = 15_000,
): Promise<FakeMessage[]> {
  return until(
    () => {
      const found = discord
        .botMessagesIn(channelId)
        .filter((m) => m.content.startsWith('-# ') || m.content.includes('\n-# '));
      return found.length >= count ? found : undefined;
    },
    timeoutMs,
    `${count} turn footer(s)`,
  );
}

export const contentOf = (messages: FakeMessage[]) => messages.map((m) => m.content);
