/**
 * System overhead on time to first visible token, at 1, 10 and 50 concurrent sessions: from a
 * signed Slack Events API request (an @mention in a new thread) being posted to Threadhand to
 * the first answer text reaching the (fake) Slack Web API, minus the fake model's fixed first
 * token delay. Two deployments: embedded (one process, SQLite, default settings) and Redis
 * mode (one front process running the Slack front door + 3 worker processes, real child
 * processes from test/runtime/procs). Split into ingress (event -> model request) and render
 * (model's first token -> text on Slack; target <= 100 ms). The peer figure is the model's
 * own first token measured straight against the fake model with no system in between.
 */
import { randomBytes } from 'node:crypto';
import { startHttpServer } from '../src/api/http.js';
import { createSlackService } from '../src/chat/slack/service.js';
import { silentLogger } from '../src/logging.js';
import { type FakeAnthropic, startFakeAnthropic } from '../test/fakes/anthropic/server.js';
import type { FakeTurn, RecordedRequest } from '../test/fakes/anthropic/types.js';
import { postSignedSlack } from '../test/fakes/slack/signed.js';
import { type FakeSlack, startFakeSlack } from '../test/fakes/slack/web-api.js';
import { startTestThreadhand } from '../test/helpers/threadhand.js';
import { printTable, ratio, summary } from './stats.js';

const SECRET = 'bench-secret';
const TEAM = 'T0TEAM';
const KEY = 'sk-ant-test-0000';
/** The fake model's fixed time to first token (after the response starts). */
const FIRST_TOKEN_MS = 200;
const TAG = /Zq\d{4}/g;

function tagOf(request: RecordedRequest): string | undefined {
  return JSON.stringify(request.body?.messages ?? [])
    .match(TAG)
    ?.at(-1);
}

const script = (request: RecordedRequest): FakeTurn => ({
  content: [
    {
      type: 'text',
      text: `${tagOf(request) ?? 'Zq----'} here is the answer: the migration timed out, so the deploy rolled back. Raise the lock timeout and retry.`,
    },
  ],
  firstTokenDelayMs: FIRST_TOKEN_MS,
  chunkSize: 16,
  chunkDelayMs: 10,
});

interface Sample {
  total: number;
  ingress: number;
  render: number;
}

/** Posts `count` mentions at once (each a new thread) and times each one's first visible text. */
async function burst(
  url: string,
  slack: FakeSlack,
  fake: FakeAnthropic,
  count: number,
  seq: { n: number },
): Promise<Sample[]> {
  const jobs = Array.from({ length: count }, () => {
    seq.n += 1;
    const tag = `Zq${String(seq.n).padStart(4, '0')}`;
    const channel = `C0B${String(seq.n).padStart(5, '0')}`;
    const text = `<@U0BOT> why did the deploy fail? ${tag}`;
    const ts = slack.addUserMessage(channel, text);
    const event = { type: 'app_mention', user: 'U0ALICE', text, ts, channel, team: TEAM, event_ts: ts };
    return {
      tag,
      payload: {
        token: 'x',
        team_id: TEAM,
        api_app_id: 'A0APP',
        type: 'event_callback',
        event_id: `Ev${tag}`,
        event_time: Math.floor(Date.now() / 1000),
        event,
      },
    };
  });
  const started = new Map<string, number>();
  const posts = jobs.map(async (job) => {
    started.set(job.tag, Date.now());
    const res = await postSignedSlack(url, SECRET, job.payload);
    if (res.status !== 200) throw new Error(`Slack event answered ${res.status}`);
  });
  await Promise.all(posts);
  const firstText = new Map<string, number>();
  const deadline = Date.now() + 120_000;
  let scanned = 0;
  while (firstText.size < count) {
    for (; scanned < slack.calls.length; scanned++) {
      const call = slack.calls[scanned]!;
      if (!call.ok) continue;
      for (const tag of JSON.stringify(call.args).match(TAG) ?? [])
        if (started.has(tag) && !firstText.has(tag) && call.method !== 'conversations.replies')
          firstText.set(tag, call.at);
    }
    if (Date.now() > deadline) throw new Error(`first text seen for ${firstText.size} of ${count} threads`);
    await new Promise((r) => setTimeout(r, 5));
  }
  // Let every answer finish before the next burst, so bursts do not overlap.
  const tags = new Set(jobs.map((j) => j.tag));
  while (!fake.requests.filter((r) => tags.has(tagOf(r) ?? '')).every((r) => r.completed)) {
    if (Date.now() > deadline) throw new Error('answers did not finish');
    await new Promise((r) => setTimeout(r, 20));
  }
  return jobs.map((job) => {
    const request = fake.requests.find((r) => tagOf(r) === job.tag);
    const t0 = started.get(job.tag)!;
    const shown = firstText.get(job.tag)!;
    const modelFirstToken = (request?.receivedAt ?? Number.NaN) + FIRST_TOKEN_MS;
    return {
      total: shown - t0 - FIRST_TOKEN_MS,
      ingress: (request?.receivedAt ?? Number.NaN) - t0,
      render: shown - modelFirstToken,
    };
  });
}

async function levels(
  url: string,
  slack: FakeSlack,
  fake: FakeAnthropic,
  concurrency: number[],
  smoke: boolean,
) {
  const seq = { n: Math.floor(Math.random() * 1000) * 10 };
  if (!smoke) await burst(url, slack, fake, 1, seq); // warm-up, unmeasured
  const out: Array<{ concurrency: number; samples: Sample[] }> = [];
  for (const c of concurrency) {
    const samples: Sample[] = [];
    const rounds = smoke ? 1 : Math.max(1, Math.ceil(20 / c));
    for (let r = 0; r < rounds; r++) samples.push(...(await burst(url, slack, fake, c, seq)));
    out.push({ concurrency: c, samples });
  }
  return out;
}

async function embedded(concurrency: number[], smoke: boolean) {
  const t = await startTestThreadhand({ script, start: false });
  const slack = await startFakeSlack({ teamId: TEAM });
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
    return await levels(`${http.url}/slack/events`, slack, t.fake, concurrency, smoke);
  } finally {
    await http.close();
    await t.close();
    await slack.close();
  }
}

async function redisMode(concurrency: number[], smoke: boolean, workers: number) {
  const { buildProc, startProc } = await import('../test/runtime/procs/build.js');
  const { Redis } = await import('ioredis');
  const { deleteRedisPrefix } = await import('../src/store/redis/index.js');
  const redisUrl = process.env.THREADHAND_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `th-bench:${randomBytes(4).toString('hex')}:`;
  const fake = await startFakeAnthropic({ apiKey: KEY, script });
  const slack = await startFakeSlack({ teamId: TEAM });
  const file = await buildProc('threadhand-node');
  const env = {
    REDIS_URL: redisUrl,
    PREFIX: prefix,
    MODEL_URL: fake.url,
    MODEL_KEY: KEY,
    LOG_LEVEL: 'error',
  };
  type Msg = { type: string; url?: string };
  const front = startProc<Msg>(file, {
    ...env,
    ROLE: 'front',
    SLACK_API_URL: slack.apiUrl,
    SLACK_SIGNING_SECRET: SECRET,
  });
  const procs = [
    front,
    ...Array.from({ length: workers }, () => startProc<Msg>(file, { ...env, ROLE: 'worker' })),
  ];
  try {
    const ready = await Promise.all(procs.map((p) => p.waitFor((m) => m.type === 'ready', 120_000)));
    return await levels(`${ready[0]!.url}/slack/events`, slack, fake, concurrency, smoke);
  } finally {
    for (const p of procs) p.child.kill('SIGTERM');
    await Promise.all(procs.map((p) => p.exited));
    await fake.close();
    await slack.close();
    const admin = new Redis(redisUrl);
    await deleteRedisPrefix(admin, prefix);
    admin.disconnect();
  }
}

/** The model alone: POST to the fake, time to the first text delta (includes FIRST_TOKEN_MS). */
async function modelAlone(rounds: number): Promise<number[]> {
  const fake = await startFakeAnthropic({ apiKey: KEY, script });
  const samples: number[] = [];
  try {
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      const response = await fetch(`${fake.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({
          model: 'claude-test',
          max_tokens: 100,
          stream: true,
          messages: [{ role: 'user', content: 'hi Zq0000' }],
        }),
      });
      const reader = response.body!.getReader();
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
        if (text.includes('content_block_delta')) {
          samples.push(performance.now() - t0);
          await reader.cancel();
          break;
        }
      }
    }
  } finally {
    await fake.close();
  }
  return samples;
}

export async function run(options: { smoke?: boolean } = {}): Promise<Record<string, unknown>> {
  const smoke = options.smoke ?? false;
  const concurrency = smoke ? [2] : [1, 10, 50];
  const workers = smoke ? 1 : 3;
  const model = summary(await modelAlone(smoke ? 3 : 20));
  const deployments = [
    { name: 'embedded (1 process, SQLite)', figures: await embedded(concurrency, smoke) },
    {
      name: `Redis, 1 front + ${workers} worker processes`,
      figures: await redisMode(concurrency, smoke, workers),
    },
  ];
  const rows: Record<string, unknown>[] = [];
  const results: Record<string, unknown>[] = [];
  for (const d of deployments) {
    for (const { concurrency: c, samples } of d.figures) {
      const total = summary(samples.map((s) => s.total));
      const ingress = summary(samples.map((s) => s.ingress));
      const render = summary(samples.map((s) => s.render));
      rows.push({
        deployment: d.name,
        concurrent: c,
        'overhead p50 ms': total.p50,
        'p95 ms': total.p95,
        'ingress p50': ingress.p50,
        'render p50': render.p50,
        'render p95': render.p95,
        'peer: model alone p50': model.p50,
        'first text vs model alone (p50)': ratio(total.p50 + FIRST_TOKEN_MS, model.p50),
        n: total.n,
      });
      results.push({
        deployment: d.name,
        concurrency: c,
        overhead: total,
        ingress,
        render,
        render_target_met_p50: render.p50 <= 100,
      });
    }
  }
  printTable(
    `System overhead on time to first visible token (Slack event -> first answer text, minus the model's ${FIRST_TOKEN_MS} ms first token; render target <= 100 ms)`,
    rows,
  );
  return { model_first_token_ms: FIRST_TOKEN_MS, model_alone: model, workers, concurrency, results };
}
