/**
 * Slack rendering cost: a 2,000-word streamed answer with 10 tool calls, drawn into a thread
 * by Threadhand's Slack front door and by Vercel's Chat SDK (`chat` + `@chat-adapter/slack`),
 * both against the same fake Slack Web API and the same scripted model. Prints Web API calls
 * (by method) and time from the mention to the first visible answer text.
 */
import { createSlackAdapter } from '@chat-adapter/slack';
import { Chat, type Lock, type QueueEntry, type StateAdapter } from 'chat';
import { Hono } from 'hono';
import { startHttpServer } from '../src/api/http.js';
import { createSlackService } from '../src/chat/slack/service.js';
import { silentLogger } from '../src/logging.js';
import type { LogItem } from '../src/store/types.js';
import { type Tool, textResult } from '../src/tools/types.js';
import type { FakeTurn } from '../test/fakes/anthropic/types.js';
import { postSignedSlack } from '../test/fakes/slack/signed.js';
import { type FakeSlack, startFakeSlack } from '../test/fakes/slack/web-api.js';
import { startTestThreadhand, type TestThreadhand } from '../test/helpers/threadhand.js';
import { ratio } from './stats.js';

const SECRET = 'bench-secret';
const CHANNEL = 'C0BENCH';
const WORDS = [
  'the',
  'build',
  'passes',
  'and',
  'every',
  'module',
  'was',
  'checked',
  'against',
  'its',
  'tests',
];

/** `n` words as markdown-ish prose: a sentence per line (~12 words), like a real answer. */
function words(n: number, seed: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(WORDS[(i * 7 + seed) % WORDS.length]!);
    if (i % 12 === 11 && i < n - 1) out.push('\n-');
  }
  return `${out.join(' ')}.`;
}

/** 11 model turns: 10 x (text + bash call), then the closing text; 2,000 words in all. */
function script(smoke: boolean): FakeTurn[] {
  const perSegment = smoke ? 20 : Math.round(2000 / 11);
  const pace = { chunkSize: 16, chunkDelayMs: smoke ? 1 : 20 };
  const turns: FakeTurn[] = [];
  for (let i = 0; i < 10; i++) {
    turns.push({
      ...pace,
      content: [
        { type: 'text', text: words(perSegment, i) },
        { type: 'tool_use', name: 'bash', input: { command: `make step-${i}` } },
      ],
    });
  }
  turns.push({ ...pace, content: [{ type: 'text', text: words(perSegment, 10) }] });
  return turns;
}

const bash: Tool = {
  name: 'bash',
  description: 'Runs a shell command.',
  input_schema: { type: 'object', properties: { command: { type: 'string' } } },
  kind: 'test',
  permission: 'always_allow',
  async run(input) {
    return textResult(`ok: ${String(input.command)}\nexit code: 0`);
  },
};

function summarize(slack: FakeSlack, started: number, modelAt: number | undefined) {
  const calls = slack.calls.filter((c) => c.method !== 'auth.test');
  const byMethod: Record<string, number> = {};
  for (const c of calls) byMethod[c.method] = (byMethod[c.method] ?? 0) + 1;
  const first = calls.find((c) => {
    const text = String(c.args.markdown_text ?? c.args.text ?? '') + JSON.stringify(c.args.chunks ?? '');
    return c.ok && text.length > 0 && !text.includes('asked:') && WORDS.some((w) => text.includes(w));
  });
  if (process.env.SLACK_BENCH_TRACE)
    console.log(
      calls
        .slice(0, 6)
        .map((c) => `${c.at - (modelAt ?? 0)} ${c.method} ${String(c.args.markdown_text ?? '').length}`),
    );
  return {
    calls: calls.length,
    byMethod,
    /** From the mention being delivered to the first answer words on Slack. */
    firstTextMs: first ? first.at - started : null,
    /** From the first model request reaching the model to the first answer words on Slack. */
    firstTextAfterModelMs: first && modelAt ? first.at - modelAt : null,
    rates: rates(slack),
  };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('bench timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const mentionPayload = (ts: string, id: string) => ({
  type: 'event_callback',
  team_id: 'T0TEAM',
  api_app_id: 'A0APP',
  event_id: id,
  event_time: Math.floor(Date.now() / 1000),
  event: {
    type: 'app_mention',
    user: 'U0ALICE',
    text: '<@U0BOT> run the checks',
    ts,
    channel: CHANNEL,
    team: 'T0TEAM',
    event_ts: ts,
  },
});

async function runThreadhand(smoke: boolean) {
  const t = await startTestThreadhand({ script: script(smoke), extraTools: [bash], start: false });
  const slack = await startFakeSlack();
  const service = createSlackService({
    runtime: t.th.runtime,
    logger: silentLogger(),
    botToken: 'xoxb',
    signingSecret: SECRET,
    app: t.th.app,
    apiUrl: slack.apiUrl,
  });
  t.th.services.push(service);
  await t.th.start();
  const http = await startHttpServer(t.th.app, { host: '127.0.0.1', port: 0 });
  try {
    const ts = slack.addUserMessage(CHANNEL, '<@U0BOT> run the checks');
    const started = Date.now();
    await postSignedSlack(`${http.url}/slack/events`, SECRET, mentionPayload(ts, 'EvBench1'));
    const sessionId = await (async () => {
      for (;;) {
        const id = await t.th.runtime.sessionForThread({
          platform: 'slack',
          thread: `T0TEAM:${CHANNEL}:${ts}`,
        });
        if (id) return id;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await t.th.runtime.waitForIdle(sessionId, { timeoutMs: 120_000 });
    await until(
      () =>
        slack.messages.some((m) => m.text.includes(' in · ') || JSON.stringify(m.blocks).includes(' in · ')),
      10_000,
    );
    await service.settled();
    return summarize(slack, started, t.fake.requests[0]?.receivedAt);
  } finally {
    await http.close();
    await t.close();
    await slack.close();
  }
}

/** The smallest StateAdapter the Chat SDK needs, in memory (no extra dependency). */
function memoryState(): StateAdapter {
  const values = new Map<string, unknown>();
  const subs = new Set<string>();
  const locks = new Map<string, Lock>();
  const queues = new Map<string, QueueEntry[]>();
  return {
    async connect() {},
    async disconnect() {},
    async acquireLock(threadId, ttlMs) {
      const held = locks.get(threadId);
      if (held && held.expiresAt > Date.now()) return null;
      const lock = { threadId, token: Math.random().toString(36), expiresAt: Date.now() + ttlMs };
      locks.set(threadId, lock);
      return lock;
    },
    async extendLock(lock, ttlMs) {
      lock.expiresAt = Date.now() + ttlMs;
      return true;
    },
    async releaseLock(lock) {
      if (locks.get(lock.threadId)?.token === lock.token) locks.delete(lock.threadId);
    },
    async forceReleaseLock(threadId) {
      locks.delete(threadId);
    },
    async get<T>(key: string) {
      return (values.get(key) as T | undefined) ?? null;
    },
    async set(key, value) {
      values.set(key, value);
    },
    async setIfNotExists(key, value) {
      if (values.has(key)) return false;
      values.set(key, value);
      return true;
    },
    async delete(key) {
      values.delete(key);
    },
    async appendToList(key, value) {
      values.set(key, [...((values.get(key) as unknown[]) ?? []), value]);
    },
    async getList<T>(key: string) {
      return ((values.get(key) as T[]) ?? []) as T[];
    },
    async subscribe(id) {
      subs.add(id);
    },
    async unsubscribe(id) {
      subs.delete(id);
    },
    async isSubscribed(id) {
      return subs.has(id);
    },
    async enqueue(threadId, entry) {
      const q = queues.get(threadId) ?? [];
      q.push(entry);
      queues.set(threadId, q);
      return q.length;
    },
    async dequeue(threadId) {
      return queues.get(threadId)?.shift() ?? null;
    },
    async queueDepth(threadId) {
      return queues.get(threadId)?.length ?? 0;
    },
  };
}

/** Drives one session through the Chat SDK the idiomatic way: stream each text, post + edit each tool card. */
async function renderWithChatSdk(
  t: TestThreadhand,
  sessionId: string,
  thread: { post(m: unknown): Promise<{ edit(m: unknown): Promise<unknown> }> },
) {
  const controller = new AbortController();
  const iterator = t.th.stores.log
    .follow(sessionId, { deltas: true, signal: controller.signal })
    [Symbol.asyncIterator]();
  let pending: LogItem | undefined;
  const next = async (): Promise<LogItem | undefined> => {
    if (pending) {
      const item = pending;
      pending = undefined;
      return item;
    }
    const r = await iterator.next();
    return r.done ? undefined : r.value;
  };
  const cards = new Map<string, { edit(m: unknown): Promise<unknown> }>();
  try {
    for (;;) {
      const item = await next();
      if (!item) return;
      if (
        item.kind === 'delta' &&
        item.delta.type === 'event_start' &&
        item.delta.event.type === 'agent.message'
      ) {
        const previewId = item.delta.event.id;
        async function* text() {
          for (;;) {
            const d = await next();
            if (!d) return;
            if (d.kind === 'delta' && d.delta.type === 'event_delta' && d.delta.event_id === previewId)
              yield d.delta.delta.content.text;
            else if (d.kind === 'event' && d.event.type === 'agent.message') return;
          }
        }
        await thread.post(text());
      } else if (item.kind === 'event' && item.event.type === 'agent.tool_use') {
        cards.set(
          item.event.id,
          await thread.post({ markdown: `*bash* \`${String(item.event.input.command)}\` running` }),
        );
      } else if (item.kind === 'event' && item.event.type === 'agent.tool_result') {
        await cards.get(item.event.tool_use_id)?.edit({ markdown: 'done · exit 0' });
      } else if (item.kind === 'event' && item.event.type === 'session.status_idle') {
        return;
      }
    }
  } finally {
    controller.abort();
  }
}

async function runChatSdk(smoke: boolean) {
  const t = await startTestThreadhand({ script: script(smoke), extraTools: [bash] });
  const slack = await startFakeSlack();
  const bot = new Chat({
    userName: 'threadhand',
    adapters: {
      slack: createSlackAdapter({ botToken: 'xoxb', signingSecret: SECRET, apiUrl: slack.apiUrl }),
    },
    state: memoryState(),
    logger: 'silent',
  });
  let done: Promise<void> = Promise.resolve();
  bot.onNewMention(async (thread) => {
    const session = await t.th.runtime.createSession({
      initialEvents: [{ type: 'user.message', content: [{ type: 'text', text: 'run the checks' }] }],
    });
    // vendor edge: the SDK's Thread type is generic over adapters.
    done = renderWithChatSdk(t, session.id, thread as unknown as Parameters<typeof renderWithChatSdk>[2]);
    await done;
  });
  const app = new Hono();
  const tasks: Promise<unknown>[] = [];
  app.post('/slack', (c) =>
    bot.webhooks.slack(c.req.raw, { waitUntil: (p: Promise<unknown>) => void tasks.push(p) }),
  );
  const http = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  try {
    const ts = slack.addUserMessage(CHANNEL, '<@U0BOT> run the checks');
    const started = Date.now();
    await postSignedSlack(`${http.url}/slack`, SECRET, mentionPayload(ts, 'EvBench2'));
    await until(() => tasks.length > 0, 10_000);
    await Promise.all(tasks);
    await done;
    return summarize(slack, started, t.fake.requests[0]?.receivedAt);
  } finally {
    await http.close();
    await t.close();
    await slack.close();
  }
}

/** Documented per-method floors (calls/minute); unlisted methods get Tier 2's floor of 20/min. */
const TIER_PER_MINUTE: Record<string, number> = { 'chat.update': 50, 'chat.postMessage': 60 };

/** Busiest 60 s window per method, and the busiest 1 s per channel for message writes. */
function rates(slack: FakeSlack) {
  const calls = slack.calls.filter((c) => c.method !== 'auth.test');
  const perMinute: Record<string, { max: number; limit: number; within: boolean }> = {};
  for (const method of new Set(calls.map((c) => c.method))) {
    const at = calls.filter((c) => c.method === method).map((c) => c.at);
    let max = 0;
    for (let i = 0; i < at.length; i++)
      max = Math.max(max, at.filter((t) => t >= at[i]! && t < at[i]! + 60_000).length);
    const limit = TIER_PER_MINUTE[method] ?? 20;
    perMinute[method] = { max, limit, within: max <= limit };
  }
  const posts = calls.filter((c) => c.method === 'chat.postMessage').map((c) => c.at);
  let postsPerSecond = 0;
  for (const t of posts)
    postsPerSecond = Math.max(postsPerSecond, posts.filter((u) => u >= t && u < t + 1000).length);
  return {
    perMinute,
    postsPerSecondPeak: postsPerSecond,
    within: Object.values(perMinute).every((m) => m.within),
  };
}

export async function run(options: { smoke?: boolean } = {}): Promise<Record<string, unknown>> {
  const smoke = options.smoke ?? false;
  const threadhand = await runThreadhand(smoke);
  const chatSdk = await runChatSdk(smoke);
  const table = [
    ['', 'Web API calls', 'first text (ms)', 'after model (ms)', 'within tiers*'],
    [
      'threadhand',
      String(threadhand.calls),
      String(threadhand.firstTextMs),
      String(threadhand.firstTextAfterModelMs),
      String(threadhand.rates.within),
    ],
    [
      'chat sdk (peer)',
      String(chatSdk.calls),
      String(chatSdk.firstTextMs),
      String(chatSdk.firstTextAfterModelMs),
      String(chatSdk.rates.within),
    ],
    [
      'chat sdk / threadhand',
      String(ratio(chatSdk.calls, threadhand.calls)),
      String(ratio(chatSdk.firstTextMs ?? Number.NaN, threadhand.firstTextMs ?? Number.NaN)),
      String(
        ratio(chatSdk.firstTextAfterModelMs ?? Number.NaN, threadhand.firstTextAfterModelMs ?? Number.NaN),
      ),
      '',
    ],
  ];
  const words = smoke ? 220 : 2000;
  console.log(
    `slack: ${words}-word streamed answer with 10 tool calls (targets: <= 42 Web API calls for 2,000 words, first text <= 100 ms after the model)`,
  );
  for (const row of table) console.log(row.map((c) => c.padEnd(22)).join(''));
  console.log(
    '* busiest 60 s per method vs Slack tiers: chat.update Tier 3 (50/min), chat.postMessage ~1/s per channel; other methods vs the Tier 2 floor (20/min), a conservative assumption where the tier is not listed here',
  );
  console.log('threadhand by method', threadhand.byMethod, 'busiest minute', threadhand.rates.perMinute);
  console.log('chat sdk by method', chatSdk.byMethod, 'busiest minute', chatSdk.rates.perMinute);
  return {
    words,
    toolCalls: 10,
    threadhand,
    chatSdk,
    ratio: {
      calls: ratio(chatSdk.calls, threadhand.calls),
      firstTextMs: ratio(chatSdk.firstTextMs ?? Number.NaN, threadhand.firstTextMs ?? Number.NaN),
    },
    targets: {
      callsAtMost42: words === 2000 ? threadhand.calls <= 42 : null,
      firstTextWithin100msOfModel:
        threadhand.firstTextAfterModelMs !== null && threadhand.firstTextAfterModelMs <= 100,
    },
  };
}
