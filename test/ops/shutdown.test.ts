/**
 * Graceful shutdown of a single process (SQLite): SIGTERM while a turn runs a tool lets the
 * turn finish, exits 0, and leaves a log that a new process resumes cleanly; a second signal
 * exits at once. Signals come from an injected source (the process-level Redis variant is
 * test/runtime/multiprocess-shutdown.test.ts).
 */
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventSeq } from '../../src/events/ids.js';
import { silentLogger } from '../../src/logging.js';
import { installGracefulShutdown } from '../../src/runtime/shutdown.js';
import { type Tool, textResult } from '../../src/tools/types.js';
import { startTestThreadhand, type TestThreadhand, text, until } from '../helpers/threadhand.js';

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function slowTool(ms: number) {
  const state = { started: 0, finished: 0 };
  const tool: Tool = {
    name: 'slow',
    description: 'Takes a moment.',
    input_schema: { type: 'object', properties: {} },
    kind: 'test',
    permission: 'always_allow',
    async run(_input, ctx) {
      state.started++;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      state.finished++;
      return textResult('slow work done');
    },
  };
  return { tool, state };
}

describe('SIGTERM during a running turn', () => {
  it('finishes the turn, exits 0, and the log resumes cleanly in a new process', {
    timeout: 30_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'threadhand-shutdown-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const slow = slowTool(800);
    const first: TestThreadhand = await startTestThreadhand({
      dir,
      drainGraceMs: 5000,
      extraTools: [slow.tool],
      script: [
        { content: [{ type: 'tool_use', name: 'slow', input: {} }] },
        { content: [{ type: 'text', text: 'first turn done' }] },
      ],
    });
    let closed = false;
    cleanup.push(() => (closed ? undefined : first.close()));

    const signals = new EventEmitter();
    const exits: number[] = [];
    const shutdown = installGracefulShutdown({
      stop: () => first.th.stop(),
      logger: silentLogger(),
      exit: (code) => exits.push(code),
      source: signals as unknown as Parameters<typeof installGracefulShutdown>[0]['source'],
    });
    cleanup.push(() => shutdown.dispose());

    const session = await first.th.runtime.createSession({ agent: 'test', environment: 'default' });
    await first.th.runtime.send(session.id, [text('do the slow thing')]);
    await until(() => slow.state.started === 1, 10_000, 'the tool to start');
    signals.emit('SIGTERM', 'SIGTERM');
    await until(() => exits.length > 0, 25_000, 'the process to exit');
    expect(exits).toEqual([0]);
    expect(slow.state.finished).toBe(1);

    const events = await first.events(session.id);
    expect(events.map((e) => eventSeq(e.id))).toEqual(events.map((_, i) => i + 1));
    const uses = events.filter((e) => e.type === 'agent.tool_use');
    const results = events.filter((e) => e.type === 'agent.tool_result');
    expect(uses).toHaveLength(1);
    expect(results).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    await first.close();
    closed = true;

    // A new process on the same data directory continues the same session.
    const second = await startTestThreadhand({
      dir,
      script: [{ content: [{ type: 'text', text: 'second turn done' }] }],
    });
    cleanup.push(() => second.close());
    await second.th.runtime.send(session.id, [text('and now?')]);
    const done = await second.th.runtime.waitForIdle(session.id, { timeoutMs: 10_000 });
    expect(done.stop_reason).toEqual({ type: 'end_turn' });
    const after = await second.events(session.id);
    expect(after.slice(0, events.length)).toEqual(events);
    expect(JSON.stringify(after.slice(events.length))).toContain('second turn done');
    // The model saw the whole first turn, tool call and result included.
    const request = JSON.stringify(second.fake.requests.at(-1)?.body);
    expect(request).toContain('slow work done');
    expect(request).toContain('first turn done');
  });

  it('stops taking API requests before it drains: a request sent during the drain is refused, the running turn finishes', {
    timeout: 30_000,
  }, async () => {
    const slow = slowTool(1500);
    const t = await startTestThreadhand({
      drainGraceMs: 10_000,
      http: { host: '127.0.0.1', port: 0 },
      extraTools: [slow.tool],
      script: [
        { content: [{ type: 'tool_use', name: 'slow', input: {} }] },
        { content: [{ type: 'text', text: 'finished during the drain' }] },
      ],
    });
    let closed = false;
    cleanup.push(() => (closed ? undefined : t.close()));
    const url = t.th.http!.url;
    const session = await t.th.runtime.createSession({ agent: 'test', environment: 'default' });
    await t.th.runtime.send(session.id, [text('do the slow thing')]);
    await until(() => slow.state.started === 1, 10_000, 'the tool to start');

    const stopping = t.th.stop();
    // While the turn is still draining, a new session through the API is refused outright
    // (nothing accepted that no worker would run).
    const refused = await until(
      async () => {
        try {
          await fetch(`${url}/v1/sessions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
            body: JSON.stringify({ agent: 'test', environment_id: 'default' }),
          });
          return false;
        } catch (error) {
          return error as Error;
        }
      },
      1000,
      'the listener to refuse new requests',
    );
    expect(String((refused as { cause?: { code?: string } }).cause?.code)).toBe('ECONNREFUSED');
    expect(slow.state.finished).toBe(0);
    await stopping;
    expect(slow.state.finished).toBe(1);
    const events = await t.events(session.id);
    expect(events.at(-1)).toMatchObject({ type: 'session.status_idle', stop_reason: { type: 'end_turn' } });
    expect((await t.th.stores.log.listSessions({ limit: 10 })).data).toHaveLength(1);
    await t.close();
    closed = true;
  });

  it('a turn that overruns the grace period is handed back and resumed from the log by the next process', {
    timeout: 30_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'threadhand-shutdown-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const slow = slowTool(60_000);
    const first = await startTestThreadhand({
      dir,
      drainGraceMs: 100,
      extraTools: [slow.tool],
      script: [{ content: [{ type: 'tool_use', name: 'slow', input: {} }] }],
    });
    let closed = false;
    cleanup.push(() => (closed ? undefined : first.close()));
    const signals = new EventEmitter();
    const exits: number[] = [];
    const shutdown = installGracefulShutdown({
      stop: () => first.th.stop(),
      logger: silentLogger(),
      exit: (code) => exits.push(code),
      source: signals as unknown as Parameters<typeof installGracefulShutdown>[0]['source'],
    });
    cleanup.push(() => shutdown.dispose());
    const session = await first.th.runtime.createSession({ agent: 'test', environment: 'default' });
    await first.th.runtime.send(session.id, [text('do the very slow thing')]);
    await until(() => slow.state.started === 1, 10_000, 'the tool to start');
    signals.emit('SIGTERM', 'SIGTERM');
    await until(() => exits.length > 0, 10_000, 'the process to exit');
    expect(exits).toEqual([0]);
    const cut = await first.events(session.id);
    expect(cut.map((e) => eventSeq(e.id))).toEqual(cut.map((_, i) => i + 1));
    await first.close();
    closed = true;

    // The next process finds the session left running and finishes the turn from the log.
    const second = await startTestThreadhand({
      dir,
      extraTools: [slowTool(10).tool],
      script: [{ content: [{ type: 'text', text: 'resumed and done' }] }],
    });
    cleanup.push(() => second.close());
    const done = await second.th.runtime.waitForIdle(session.id, { timeoutMs: 15_000 });
    expect(done.stop_reason).toEqual({ type: 'end_turn' });
    const events = await second.events(session.id);
    expect(events.slice(0, cut.length)).toEqual(cut);
    expect(events.map((e) => eventSeq(e.id))).toEqual(events.map((_, i) => i + 1));
    const uses = events.filter((e) => e.type === 'agent.tool_use');
    expect(uses).toHaveLength(1);
    // The cut-off call has exactly one result (never a duplicate), and the answer follows.
    expect(
      events.filter((e) => e.type === 'agent.tool_result' && e.tool_use_id === uses[0]?.id),
    ).toHaveLength(1);
    expect(JSON.stringify(events.slice(cut.length))).toContain('resumed and done');
    expect(slow.state.started).toBe(1);
  });

  it('a second signal exits at once', async () => {
    const signals = new EventEmitter();
    const exits: number[] = [];
    let release: () => void = () => undefined;
    const shutdown = installGracefulShutdown({
      stop: () => new Promise<void>((resolve) => (release = resolve)),
      logger: silentLogger(),
      exit: (code) => exits.push(code),
      source: signals as unknown as Parameters<typeof installGracefulShutdown>[0]['source'],
    });
    cleanup.push(() => shutdown.dispose());
    signals.emit('SIGTERM', 'SIGTERM');
    expect(exits).toEqual([]);
    signals.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
    release();
  });
});
