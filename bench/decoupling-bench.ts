/**
 * Brain/hands decoupling, the headline figure: time to first token (TTFT) of sessions whose
 * first turn needs no tool, when the sandbox is provisioned lazily (Threadhand: on the first
 * tool call) versus eagerly (at session start, as designs that run the agent loop inside the
 * container must). Both run the real harness, built-in tools offered, the fake model, and the
 * real e2b SDK against the fake E2B whose sandbox create takes 300-2000 ms (uniform jitter),
 * the range of a cloud sandbox cold start. TTFT runs from the user's first message to the
 * first streamed text delta. Two model scenarios: an instant model (the harness floor, where
 * the ratio is largest) and a model whose own first token takes 500 ms (closer to a real API).
 * One unmeasured warm-up session per run. Prints tables and returns the figures; never fails
 * on timing.
 */
import { pathToFileURL } from 'node:url';
import type { SessionContext } from '../src/harness/types.js';
import { silentLogger } from '../src/logging.js';
import { createE2BSandboxProvider } from '../src/sandbox/e2b/index.js';
import { createBuiltinToolset } from '../src/tools/builtin/index.js';
import { type FakeE2B, startFakeE2B } from '../test/fakes/e2b/index.js';
import { startTestThreadhand } from '../test/helpers/threadhand.js';
import { printTable, ratio, summary } from './stats.js';

type Mode = 'lazy' | 'eager';

const CREATE_LATENCY = { minMs: 300, maxMs: 2000 };
/** Smoke runs (npm test) only check the code paths: a fast create keeps them short. */
const SMOKE_CREATE_LATENCY = { minMs: 20, maxMs: 60 };
const REPLY =
  'Hello! Happy to help. Tell me which repository and what you want changed, and I will start there.';

interface ModeFigures {
  ttftMs: number[];
  firstMessageMs: number[];
  sandboxesCreated: number;
  createMs: number[];
}

async function measure(
  mode: Mode,
  fake: FakeE2B,
  sessions: number,
  modelFirstTokenMs: number,
): Promise<ModeFigures> {
  const provider = createE2BSandboxProvider({
    logger: silentLogger(),
    apiKey: fake.apiKey,
    apiUrl: fake.apiUrl,
    sandboxUrl: fake.sandboxUrl,
  });
  const createMs: number[] = [];
  const provisioned = new Set<string>();
  const t = await startTestThreadhand({
    agents: [{ name: 'chat', model: 'claude-test', tools: [{ type: 'agent_toolset_20260401' }] }],
    environments: [{ name: 'e2b-bench', provider: 'e2b' }],
    sandboxProviders: [provider],
    toolSources: [
      async (ctx) => ({ tools: createBuiltinToolset({ agent: ctx.agent, environment: ctx.environment }) }),
    ],
    script: () => ({ content: [{ type: 'text', text: REPLY }], firstTokenDelayMs: modelFirstTokenMs }),
    hooks:
      mode === 'eager'
        ? {
            // A coupled design cannot run its loop before its container is up.
            async beforeModelCall(ctx: SessionContext) {
              if (!provisioned.has(ctx.session.id)) {
                provisioned.add(ctx.session.id);
                const started = performance.now();
                await provider.get(ctx.session.id, ctx.environment);
                createMs.push(performance.now() - started);
              }
              return { action: 'continue' };
            },
          }
        : undefined,
  });
  let before = fake.creates().length;
  const ttftMs: number[] = [];
  const firstMessageMs: number[] = [];
  try {
    for (let i = -1; i < sessions; i += 1) {
      if (i === 0) before = fake.creates().length;
      const session = await t.th.runtime.createSession({ agent: 'chat', environment: 'e2b-bench' });
      const controller = new AbortController();
      let firstDelta: number | undefined;
      let firstMessage: number | undefined;
      const followed = (async () => {
        for await (const item of t.th.stores.log.follow(session.id, {
          deltas: true,
          signal: controller.signal,
          after: '$',
        })) {
          if (item.kind === 'delta' && item.delta.type === 'event_delta') firstDelta ??= performance.now();
          if (item.kind === 'event' && item.event.type === 'agent.message') {
            firstMessage = performance.now();
            return;
          }
        }
      })();
      const sent = performance.now();
      await t.th.runtime.send(session.id, [
        { type: 'user.message', content: [{ type: 'text', text: 'hi, can you help me with a bug?' }] },
      ]);
      await followed;
      controller.abort();
      await t.th.runtime.waitForIdle(session.id, { timeoutMs: 60_000 });
      if (i < 0) continue; // warm-up
      ttftMs.push((firstDelta ?? firstMessage ?? Number.NaN) - sent);
      firstMessageMs.push((firstMessage ?? Number.NaN) - sent);
      if (mode === 'eager') await provider.destroy(session.id);
    }
  } finally {
    await t.close();
  }
  return {
    ttftMs,
    firstMessageMs,
    sandboxesCreated: fake.creates().length - before,
    createMs: createMs.slice(1),
  };
}

const SCENARIOS = [
  { name: 'instant model', modelFirstTokenMs: 0 },
  { name: 'model first token 500 ms', modelFirstTokenMs: 500 },
];

export async function run(options: { smoke?: boolean } = {}): Promise<Record<string, unknown>> {
  const sessions = options.smoke ? 2 : 20;
  const createLatency = options.smoke ? SMOKE_CREATE_LATENCY : CREATE_LATENCY;
  const fake = await startFakeE2B({ createLatencyMs: createLatency });
  const results: Record<string, unknown>[] = [];
  try {
    for (const scenario of SCENARIOS) {
      const lazy = await measure('lazy', fake, sessions, scenario.modelFirstTokenMs);
      const eager = await measure('eager', fake, sessions, scenario.modelFirstTokenMs);
      const l = summary(lazy.ttftMs);
      const e = summary(eager.ttftMs);
      printTable(
        `Decoupling, ${scenario.name}: TTFT of ${sessions} sessions whose first turn needs no tool (E2B create ${createLatency.minMs}-${createLatency.maxMs} ms)`,
        [
          {
            provisioning: 'lazy (Threadhand: first tool call)',
            ttft_p50_ms: l.p50,
            ttft_p95_ms: l.p95,
            sandboxes_created: lazy.sandboxesCreated,
            'p50 vs lazy': 1,
            'p95 vs lazy': 1,
          },
          {
            provisioning: 'eager (at session start, coupled)',
            ttft_p50_ms: e.p50,
            ttft_p95_ms: e.p95,
            sandboxes_created: eager.sandboxesCreated,
            'p50 vs lazy': ratio(e.p50, l.p50),
            'p95 vs lazy': ratio(e.p95, l.p95),
          },
        ],
      );
      results.push({
        scenario: scenario.name,
        modelFirstTokenMs: scenario.modelFirstTokenMs,
        lazy: {
          ttft: l,
          firstMessage: summary(lazy.firstMessageMs),
          sandboxesCreated: lazy.sandboxesCreated,
        },
        eager: {
          ttft: e,
          firstMessage: summary(eager.firstMessageMs),
          sandboxesCreated: eager.sandboxesCreated,
          sandboxCreate: summary(eager.createMs),
        },
        ratio: { p50: ratio(e.p50, l.p50), p95: ratio(e.p95, l.p95) },
      });
    }
    return { sessions, createLatencyMs: createLatency, scenarios: results };
  } finally {
    await fake.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await run({ smoke: process.argv.includes('--smoke') }), null, 2));
}
