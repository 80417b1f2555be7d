/**
 * The hands through a whole Threadhand, wired as `createThreadhand` wires them by default
 * (providers built from E2B_* variables, E2B sandbox ids recorded in the session log and KV):
 * the fake model asks for bash tool calls, the fake E2B holds the E2B sandboxes, the local
 * ones run under bubblewrap.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../src/events/schema.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import type { Stores } from '../../src/store/types.js';
import { createBuiltinToolset } from '../../src/tools/builtin/index.js';
import type { FakeScript } from '../fakes/anthropic/server.js';
import { type FakeE2B, startFakeE2B } from '../fakes/e2b/index.js';
import { startTestThreadhand, type TestThreadhand, text, until } from '../helpers/threadhand.js';

let fake: FakeE2B;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  fake = await startFakeE2B();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await fake?.close();
});

const bash = (command: string) => ({
  content: [{ type: 'tool_use' as const, name: 'bash', input: { command } }],
});
const reply = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

/** A Threadhand with the default sandbox wiring of src/main.ts, on the given stores. */
async function startHarness(stores: Stores, dir: string, script: FakeScript): Promise<TestThreadhand> {
  return startTestThreadhand({
    stores,
    dir,
    dataDir: join(dir, 'data'),
    env: { ...fake.env },
    sandboxProviders: undefined,
    toolSources: [
      async (ctx) => ({ tools: createBuiltinToolset({ agent: ctx.agent, environment: ctx.environment }) }),
    ],
    agents: [{ name: 'coder', model: 'claude-test', tools: [{ type: 'agent_toolset_20260401' }] }],
    environments: [{ name: 'cloud', provider: 'e2b' }, { name: 'laptop' }],
    script,
  });
}

function sharedStores(): { stores: Stores; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'th-e2b-runtime-'));
  const stores = createSqliteStores({ dir });
  cleanups.push(async () => {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { stores, dir };
}

/** Sends a message and waits until the session went idle `idles` times in all. */
async function turn(t: TestThreadhand, sessionId: string, message: string, idles: number) {
  await t.th.runtime.send(sessionId, [text(message)]);
  return until(
    async () => {
      const events = await t.events(sessionId);
      return events.filter((e) => e.type === 'session.status_idle').length >= idles && events;
    },
    30_000,
    `idle #${idles}`,
  );
}

const toolResults = (events: SessionEvent[]) =>
  events.filter((e) => e.type === 'agent.tool_result').map((e) => JSON.stringify(e));
const sandboxOps = (events: SessionEvent[]) =>
  events.flatMap((e) => (e.type === 'span.sandbox_operation' && e.provider === 'e2b' ? [e] : []));

/** Stops a harness that shares its stores with others (its own close would close them). */
function stopHarness(t: TestThreadhand) {
  return async () => {
    await t.th.stop();
    await t.fake.close();
  };
}

describe('E2B sandboxes through the runtime', () => {
  it('a second harness instance resumes the session on the sandbox the session log names', async () => {
    const { stores, dir } = sharedStores();
    const first = await startHarness(stores, dir, [
      bash('echo from-first > note.txt && cat note.txt'),
      reply('ok'),
    ]);
    let firstStopped = false;
    cleanups.push(async () => {
      if (!firstStopped) await stopHarness(first)();
    });
    const session = await first.th.runtime.createSession({ agent: 'coder', environment: 'cloud' });
    const creates = fake.creates().length;
    const events = await turn(first, session.id, 'write a note', 1);
    expect(toolResults(events).join('\n')).toContain('from-first');
    expect(fake.creates()).toHaveLength(creates + 1);
    const sandboxId = sandboxOps(events).at(-1)?.sandbox_id;
    expect(sandboxId).toBeDefined();
    expect(fake.sandbox(sandboxId ?? '')?.workspaceDir).toBeDefined();

    // This replica goes away (its sandboxes are paused) and the KV cache is lost (a flushed
    // Redis): only the session log still says which sandbox the session has.
    await stopHarness(first)();
    firstStopped = true;
    await until(() => fake.sandbox(sandboxId ?? '')?.state === 'paused', 10_000, 'the sandbox to pause');
    await stores.kv.delete(`e2b:sandbox:${session.id}`);

    // Another replica: its own connection to the same database (and its own wake queue).
    const replicaStores = createSqliteStores({ dir });
    cleanups.push(() => replicaStores.close());
    const second = await startHarness(replicaStores, dir, [bash('cat note.txt'), reply('still there')]);
    cleanups.push(stopHarness(second));
    const connectsBefore = fake.apiCalls('POST', new RegExp(`/sandboxes/${sandboxId}/connect$`)).length;
    const after = await turn(second, session.id, 'read the note again', 2);

    expect(fake.creates()).toHaveLength(creates + 1);
    expect(fake.apiCalls('POST', new RegExp(`/sandboxes/${sandboxId}/connect$`)).length).toBeGreaterThan(
      connectsBefore,
    );
    expect(fake.sandbox(sandboxId ?? '')?.state).toBe('running');
    expect(toolResults(after).at(-1)).toContain('from-first');
    expect(sandboxOps(after).at(-1)).toMatchObject({ operation: 'reconnect', sandbox_id: sandboxId });
  });

  it('re-creates a sandbox that vanished between turns, with a notice in the session log', async () => {
    const { stores, dir } = sharedStores();
    const t = await startHarness(stores, dir, [
      bash('echo before > a.txt && cat a.txt'),
      reply('ok'),
      bash('echo after-recreate > b.txt && cat b.txt && ls'),
      reply('ok again'),
    ]);
    cleanups.push(stopHarness(t));
    const session = await t.th.runtime.createSession({ agent: 'coder', environment: 'cloud' });
    const first = await turn(t, session.id, 'first', 1);
    const vanished = sandboxOps(first).at(-1)?.sandbox_id ?? '';
    expect(fake.sandbox(vanished)?.state).toBe('running');

    fake.killOutside(vanished);
    await turn(t, session.id, 'second', 2);

    const events = await until(async () => {
      const all = await t.events(session.id);
      return sandboxOps(all).some((e) => e.operation === 'recreate') && all;
    });
    const notice = sandboxOps(events).find((e) => e.operation === 'recreate');
    expect(notice?.sandbox_id).toBeDefined();
    expect(notice?.sandbox_id).not.toBe(vanished);
    expect(notice?.message).toContain(vanished);
    expect(notice?.message).toContain('Files written to /workspace before are gone');
    const last = toolResults(events).at(-1) ?? '';
    expect(last).toContain('after-recreate');
    expect(last).not.toContain('a.txt');
    expect(last).not.toContain('"is_error":true');
    expect(fake.sandbox(notice?.sandbox_id ?? '')?.state).toBe('running');
  });

  it.each(['terminate', 'deleteSession'] as const)('kills the E2B sandbox on %s', async (action) => {
    const { stores, dir } = sharedStores();
    const t = await startHarness(stores, dir, [bash('echo hi'), reply('ok')]);
    cleanups.push(stopHarness(t));
    const session = await t.th.runtime.createSession({ agent: 'coder', environment: 'cloud' });
    const events = await turn(t, session.id, 'say hi', 1);
    const sandboxId = sandboxOps(events).at(-1)?.sandbox_id ?? '';
    expect(fake.sandbox(sandboxId)?.state).toBe('running');

    await t.th.runtime[action](session.id);

    expect(fake.sandbox(sandboxId)).toBeUndefined();
    expect(fake.apiCalls('DELETE', new RegExp(`/sandboxes/${sandboxId}$`))).toHaveLength(1);
    expect(await stores.kv.get(`e2b:sandbox:${session.id}`)).toBeUndefined();
  });
});

describe('local sandboxes through the runtime', () => {
  it('deleteSession removes the session workspace from the data directory', async () => {
    const { stores, dir } = sharedStores();
    const t = await startHarness(stores, dir, [bash('echo kept > kept.txt && pwd'), reply('ok')]);
    cleanups.push(stopHarness(t));
    const session = await t.th.runtime.createSession({ agent: 'coder', environment: 'laptop' });
    const events = await turn(t, session.id, 'write a file', 1);
    expect(toolResults(events).at(-1)).toContain('/workspace');
    const workspace = join(dir, 'data', 'workspaces', session.id);
    expect(existsSync(join(workspace, 'kept.txt'))).toBe(true);

    await t.th.runtime.deleteSession(session.id);

    expect(existsSync(workspace)).toBe(false);
    expect(await stores.log.getSession(session.id)).toBeUndefined();
  });
});
