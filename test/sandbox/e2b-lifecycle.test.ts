/**
 * The E2B sandbox's life as E2B sees it (the fake's recorded control-plane calls): created
 * lazily, paused when idle and resumed on use, reconnected from another replica, re-created
 * with a notice when it vanished, its timeout extended while in use, killed on destroy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type E2BSandboxProvider, kvSandboxRecord } from '../../src/sandbox/e2b/index.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { type FakeE2B, startFakeE2B } from '../fakes/e2b/index.js';
import { e2bEnvironment, fileSandboxRecord, makeE2BProvider, newSessionId, waitFor } from './e2b-helpers.js';

let fake: FakeE2B;
let stateDir: string;
const providers: E2BSandboxProvider[] = [];

beforeAll(async () => {
  fake = await startFakeE2B();
});
afterAll(async () => {
  await fake?.close();
});
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'th-e2b-'));
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
  rmSync(stateDir, { recursive: true, force: true });
});

function provider(options: Parameters<typeof makeE2BProvider>[1] = {}) {
  const made = makeE2BProvider(fake, { ...fileSandboxRecord(stateDir), ...options });
  providers.push(made.provider);
  return made;
}

const callsFor = (sandboxId: string, suffix: string) =>
  fake.apiCalls('POST').filter((c) => c.sandboxId === sandboxId && c.path.endsWith(suffix));

describe('E2B sandbox lifecycle', () => {
  it('creates nothing until the first get (a message-only session costs no sandbox)', async () => {
    const before = fake.creates().length;
    const { provider: p } = provider();
    const id = newSessionId();
    expect(p.peek(id)).toBeUndefined();
    await p.destroy(id); // terminating a session that never used tools
    expect(fake.creates().length).toBe(before);
    expect(p.provisionCount()).toBe(0);

    const sandbox = await p.get(id, e2bEnvironment());
    expect(fake.creates().length).toBe(before + 1);
    const created = fake.creates().at(-1)?.body as Record<string, unknown>;
    expect(created).toMatchObject({
      templateID: 'base',
      timeout: 600,
      autoPause: true,
      metadata: { threadhand_session: id, threadhand_environment: 'e2b-test' },
    });
    expect(created.envVars).toBeUndefined();
    expect(sandbox.id).toBe(`e2b-${id}`);
  });

  it('pauses after the idle time and resumes on the next use, files intact', async () => {
    const { provider: p, events } = provider({ idlePauseMs: 150 });
    const id = newSessionId();
    const sandbox = await p.get(id, e2bEnvironment());
    await sandbox.writeFile('keep.txt', 'kept');
    const sandboxId = p.sandboxIdOf(id) ?? '';
    await waitFor(() => fake.sandbox(sandboxId)?.state === 'paused', 5000, 'idle pause');
    expect(callsFor(sandboxId, '/pause')).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['created', 'paused']);
    expect(events[1]?.activeSeconds).toBeGreaterThan(0);

    const result = await sandbox.exec('cat keep.txt');
    expect(result.stdout).toBe('kept');
    expect(fake.sandbox(sandboxId)?.state).toBe('running');
    expect(callsFor(sandboxId, '/connect')).toHaveLength(1);
    expect(events.map((e) => e.type)).toEqual(['created', 'paused', 'resumed']);
    expect(sandbox.counters().provisions).toBe(1);
    expect(sandbox.counters().activeSeconds).toBeGreaterThan(0);
    // Not paused while a command runs, however long it is past the idle time.
    const long = await sandbox.exec('sleep 0.6; echo done');
    expect(long.stdout).toBe('done\n');
    expect(callsFor(sandboxId, '/pause')).toHaveLength(1);
  });

  it('lets a second replica reconnect by the recorded id instead of creating', async () => {
    const id = newSessionId();
    const { provider: first } = provider();
    await (await first.get(id, e2bEnvironment())).writeFile('from-first.txt', 'one');
    const sandboxId = first.sandboxIdOf(id) ?? '';
    const creates = fake.creates().length;

    const { provider: second, events } = provider();
    const sandbox = await second.get(id, e2bEnvironment());
    expect(second.sandboxIdOf(id)).toBe(sandboxId);
    expect(fake.creates().length).toBe(creates);
    expect(second.provisionCount()).toBe(0);
    expect(events).toEqual([{ type: 'reconnected', sessionId: id, sandboxId }]);
    expect((await sandbox.readFile('from-first.txt')).toString()).toBe('one');
  });

  it('records the id in the KV store, so a restarted process reconnects and a destroy forgets it', async () => {
    const stores = createSqliteStores({ dir: stateDir });
    try {
      const id = newSessionId();
      const { provider: first } = provider(kvSandboxRecord(stores.kv));
      await (await first.get(id, e2bEnvironment())).writeFile('kv.txt', 'via kv');
      const sandboxId = first.sandboxIdOf(id);
      expect(await stores.kv.get(`e2b:sandbox:${id}`)).toBe(sandboxId);
      await first.close();

      const { provider: second } = provider(kvSandboxRecord(stores.kv));
      const sandbox = await second.get(id, e2bEnvironment());
      expect(second.sandboxIdOf(id)).toBe(sandboxId);
      expect((await sandbox.readFile('kv.txt')).toString()).toBe('via kv');
      await second.destroy(id);
      expect(await stores.kv.get(`e2b:sandbox:${id}`)).toBeUndefined();
    } finally {
      await stores.close();
    }
  });

  it('does not idle-pause a sandbox that another replica has taken over', async () => {
    const id = newSessionId();
    const { provider: first, events } = provider({ idlePauseMs: 1500 });
    await (await first.get(id, e2bEnvironment())).writeFile('a.txt', 'a');
    const sandboxId = first.sandboxIdOf(id) ?? '';
    // The second replica's connect pushes E2B's end time past anything the first one set.
    const { provider: second } = provider();
    const sandbox = await second.get(id, e2bEnvironment({ e2b: { timeout_seconds: 1200 } }));
    await waitFor(
      () => fake.apiCalls('GET').filter((c) => c.sandboxId === sandboxId).length >= 2,
      10_000,
      'two idle checks',
    );
    expect((await sandbox.exec('cat a.txt')).stdout).toBe('a');
    expect(callsFor(sandboxId, '/pause')).toHaveLength(0);
    expect(events.map((e) => e.type)).toEqual(['created']);
  });

  it('re-creates a sandbox that vanished while running, with a notice', async () => {
    const created: string[] = [];
    const record = fileSandboxRecord(stateDir);
    const { provider: p, events } = provider({
      onSandboxCreated: (sessionId, sandboxId) => {
        created.push(sandboxId);
        record.onSandboxCreated(sessionId, sandboxId);
      },
    });
    const id = newSessionId();
    const sandbox = await p.get(id, e2bEnvironment());
    await sandbox.writeFile('old.txt', 'x');
    const oldId = p.sandboxIdOf(id) ?? '';
    fake.killOutside(oldId);

    const result = await sandbox.exec('ls /workspace; echo ok');
    expect(result.stdout).toBe('ok\n');
    const newId = p.sandboxIdOf(id) ?? '';
    expect(newId).not.toBe(oldId);
    expect(created).toEqual([oldId, newId]);
    expect(record.resolveSandboxId(id)).toBe(newId);
    const notice = events.find((e) => e.type === 'recreated');
    expect(notice).toMatchObject({ sessionId: id, sandboxId: newId, previousSandboxId: oldId });
    expect(notice?.message).toMatch(/no longer exists/);
    expect(p.provisionCount()).toBe(2);
    expect(sandbox.counters().provisions).toBe(2);
  });

  it('re-creates a sandbox that vanished while paused, and one recorded but gone', async () => {
    const { provider: p, events } = provider({ idlePauseMs: 100 });
    const id = newSessionId();
    const sandbox = await p.get(id, e2bEnvironment());
    const oldId = p.sandboxIdOf(id) ?? '';
    await waitFor(() => fake.sandbox(oldId)?.state === 'paused', 5000, 'idle pause');
    fake.killOutside(oldId);
    expect((await sandbox.exec('echo back')).stdout).toBe('back\n');
    expect(events.filter((e) => e.type === 'recreated')).toHaveLength(1);

    // Another replica holding a stale id for a killed sandbox gets a fresh one, not an error.
    const current = p.sandboxIdOf(id) ?? '';
    fake.killOutside(current);
    const { provider: other, events: otherEvents } = provider();
    const again = await other.get(id, e2bEnvironment());
    expect((await again.exec('echo fresh')).stdout).toBe('fresh\n');
    expect(otherEvents.map((e) => e.type)).toEqual(['recreated']);
  });

  it('extends the E2B timeout while a long command runs', async () => {
    const { provider: p } = provider();
    const id = newSessionId();
    const sandbox = await p.get(id, e2bEnvironment({ e2b: { timeout_seconds: 3 } }));
    const sandboxId = p.sandboxIdOf(id) ?? '';
    const result = await sandbox.exec('sleep 4; echo survived', { timeoutMs: 20_000 });
    expect(result.stdout).toBe('survived\n');
    expect(callsFor(sandboxId, '/timeout').length).toBeGreaterThanOrEqual(2);
    expect(fake.sandbox(sandboxId)?.state).toBe('running');
  });

  it('kills the sandbox on destroy, also from a replica that never opened it', async () => {
    const { provider: p, events } = provider();
    const id = newSessionId();
    await p.get(id, e2bEnvironment());
    const sandboxId = p.sandboxIdOf(id) ?? '';
    await p.destroy(id);
    expect(fake.sandbox(sandboxId)).toBeUndefined();
    expect(fake.apiCalls('DELETE').some((c) => c.sandboxId === sandboxId)).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: 'killed',
      sessionId: id,
      sandboxId,
      activeSeconds: expect.any(Number),
    });

    const id2 = newSessionId();
    await p.get(id2, e2bEnvironment());
    const sandboxId2 = p.sandboxIdOf(id2) ?? '';
    const { provider: other } = provider();
    await other.destroy(id2);
    expect(fake.sandbox(sandboxId2)).toBeUndefined();
  });

  it('pauses running sandboxes on close so they keep their files', async () => {
    const { provider: p } = provider();
    const id = newSessionId();
    await (await p.get(id, e2bEnvironment())).writeFile('a.txt', 'a');
    const sandboxId = p.sandboxIdOf(id) ?? '';
    await p.close();
    expect(fake.sandbox(sandboxId)?.state).toBe('paused');
    await expect(p.get(id, e2bEnvironment())).rejects.toMatchObject({ code: 'sandbox_failed' });
  });
});
