/**
 * Working a session from the console in headless Chromium: tool output streaming into a card,
 * steering, interrupting, approving and denying `always_ask` calls, and a dropped SSE
 * connection that resumes with Last-Event-ID without losing or doubling anything. The tools
 * are the real built-in `bash` in a local bubblewrap sandbox of the `threadhand start` child.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { FakeTurn } from '../fakes/anthropic/server.js';
import {
  browserPerFile,
  type ConsoleHarness,
  openPage,
  overflowX,
  shot,
  startConsole,
  startSession,
} from './helpers.js';

const browser = browserPerFile();
let h: ConsoleHarness | undefined;

/** A promise the test resolves when it is ready (the page is watching). */
function latch() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open: () => open() };
}

/** A shell command that blocks until the test creates `name` in the session's workspace. */
const waitFor = (name: string) => `while [ ! -e /workspace/${name} ]; do sleep 0.05; done`;

/** Lets a command blocked on `waitFor(name)` go on, from the host side of the sandbox. */
function release(sessionId: string, name: string): void {
  if (!h) throw new Error('no harness');
  writeFileSync(join(h.workspace(sessionId), name), '');
}

async function openSession(page: Page, prompt: string, agent = 'shell'): Promise<string> {
  if (!h) throw new Error('no harness');
  const sessionId = await startSession(h, { agent, title: prompt, prompt });
  await page.goto(`/#/sessions/${sessionId}`);
  await page.locator('.conn', { hasText: 'live' }).waitFor();
  return sessionId;
}

const requestText = (i: number) => JSON.stringify(h?.fake.requests[i]?.body.messages ?? null);

describe('web console session controls', { timeout: 60_000 }, () => {
  it('streams tool output into the tool card, then shows exit code and duration', async () => {
    const command = `for i in 1 2 3; do echo line $i; done; ${waitFor('more')}; for i in 4 5; do echo line $i; done`;
    const watching = latch();
    h = await startConsole({
      script: async (_req, i) => {
        if (i === 0) await watching.opened;
        return i === 0
          ? { content: [{ type: 'tool_use', name: 'bash', input: { command } }] }
          : { content: [{ type: 'text', text: 'Counted to five.' }] };
      },
    });
    const { page, context } = await openPage(browser(), h.url);
    const sessionId = await openSession(page, 'count to five');
    watching.open();

    const card = page.locator('.tool-card');
    await card.locator('.tool-output').getByText('line 3').waitFor();
    expect(await card.locator('.tool-state').innerText()).toContain('running');
    expect(await card.locator('.tool-output').innerText()).not.toContain('line 4');
    await shot(page, 'tool-card-streaming');
    release(sessionId, 'more');
    await card.locator('.tool-output').getByText('line 5').waitFor();
    await expect.poll(() => card.locator('.tool-state').innerText()).toMatch(/done · exit 0 · \d/);
    await page.getByText('Counted to five.').waitFor();
    expect(await card.getAttribute('data-tool-use-id')).toMatch(/^sevt_/);
    await shot(page, 'tool-card-done');

    // The trace puts the run, both model requests and the tool call on one time axis.
    await page.getByRole('button', { name: 'Trace' }).click();
    const rows = page.locator('table.trace tbody tr');
    await expect
      .poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-span-kind'))))
      .toEqual(['run', 'model', 'tool', 'sandbox', 'model', 'sandbox']);
    expect(await page.locator('tr[data-span-kind="tool"] th').textContent()).toContain('bash');
    const sandboxRows = page.locator('tr[data-span-kind="sandbox"] th');
    // The sandbox starts for the tool call; at the end of the run its active time is recorded.
    expect(await sandboxRows.nth(0).textContent()).toContain('sandbox provision');
    expect(await sandboxRows.nth(1).textContent()).toContain('sandbox pause');
    await shot(page, 'trace');
    await page.getByRole('button', { name: 'Timeline' }).click();
    await page.getByText('Counted to five.').waitFor();
    await context.close();
  });

  it('steers a running session from the composer and interrupts a streaming answer', async () => {
    const script: FakeTurn[] = [
      {
        content: [
          {
            type: 'tool_use',
            name: 'bash',
            input: { command: `echo waiting for the gate; ${waitFor('gate')}; echo gate opened` },
          },
        ],
      },
      { content: [{ type: 'text', text: 'Bien sûr, en français.' }] },
      { content: [{ type: 'text', text: 'word '.repeat(400) }], chunkSize: 5, chunkDelayMs: 20 },
    ];
    // Output streamed before the page is watching is not replayed: start once it is.
    const watching = latch();
    h = await startConsole({
      script: async (_req, i) => {
        if (i === 0) await watching.opened;
        return (
          script[i] ?? { error: { status: 400, type: 'invalid_request_error', message: 'script exhausted' } }
        );
      },
    });
    const { page, context } = await openPage(browser(), h.url);
    const sessionId = await openSession(page, 'do the thing');
    watching.open();
    await page.locator('.tool-card .tool-output', { hasText: 'waiting for the gate' }).waitFor();
    expect(await page.locator('.tool-card .tool-state').innerText()).toContain('running');

    await page.getByLabel('Message to steer the running agent').fill('answer in French please');
    await page.getByLabel('Message to steer the running agent').press('Enter');
    await page.locator('.msg-user', { hasText: 'answer in French please' }).waitFor();
    release(sessionId, 'gate');
    await page.getByText('Bien sûr, en français.').waitFor();
    expect(requestText(1)).toContain('answer in French please');
    expect(requestText(1)).toContain('gate opened');

    // A long answer is interrupted from the console while it streams.
    await page.getByLabel('Message').fill('now write a long essay');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.msg-agent[data-live="true"]').getByText('word word').waitFor();
    await page.getByRole('button', { name: 'Interrupt' }).click();
    await page.locator('.mark', { hasText: 'Interrupted' }).waitFor();
    await expect
      .poll(() => page.getByTestId('session-status').innerText(), { timeout: 5000 })
      .toContain('idle');
    await expect.poll(() => h?.fake.requests[2]?.aborted).toBe(true);
    expect(await page.getByRole('button', { name: 'Interrupt' }).count()).toBe(0);
    const events = await h.events(sessionId);
    expect(events.filter((e) => e.type === 'user.interrupt')).toHaveLength(1);
    await shot(page, 'session-interrupted');
    await context.close();
  });

  it('approves one always_ask call and denies the other with a reason, each bound to its own call', async () => {
    const deploy = (target: string) => ({
      type: 'tool_use' as const,
      name: 'bash',
      input: { command: `echo deployed ${target} | tee -a /workspace/deployed.txt` },
    });
    h = await startConsole({
      script: [
        { content: [deploy('staging'), deploy('prod')] },
        { content: [{ type: 'text', text: 'Staging is deployed; prod was skipped.' }] },
      ],
    });
    const { page, context } = await openPage(browser(), h.url);
    const sessionId = await openSession(page, 'deploy everywhere', 'guarded');
    const staging = page.locator('.tool-card', { hasText: 'staging' });
    const prod = page.locator('.tool-card', { hasText: 'prod' });
    await staging.getByRole('button', { name: 'Approve' }).waitFor();
    await prod.getByRole('button', { name: 'Approve' }).waitFor();
    await shot(page, 'approval-cards');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'approval-cards-phone');
    expect(await overflowX(page)).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });

    await staging.getByRole('button', { name: 'Approve' }).click();
    await staging.locator('.confirmation', { hasText: 'Approved' }).waitFor();
    // The approved call runs (sandbox start included) before the other is denied: a denial
    // sent while it runs is not picked up (see the known-bug test below).
    await staging.locator('.tool-state', { hasText: 'done' }).waitFor();
    await prod.getByLabel('Reason for denying bash').fill('not on a Friday');
    await prod.getByRole('button', { name: 'Deny' }).click();
    await prod.locator('.confirmation', { hasText: 'Denied: not on a Friday' }).waitFor();
    await page.getByText('Staging is deployed; prod was skipped.').waitFor();

    // Only the approved command ran in the sandbox.
    expect(readFileSync(join(h.workspace(sessionId), 'deployed.txt'), 'utf8')).toBe('deployed staging\n');
    expect(requestText(1)).toContain('not on a Friday');
    const events = await h.events(sessionId);
    const uses = events.filter((e) => e.type === 'agent.tool_use');
    const confirmations = events.filter((e) => e.type === 'user.tool_confirmation');
    const byTarget = (target: string) =>
      uses.find((u) => u.type === 'agent.tool_use' && String(u.input.command).includes(target))?.id;
    expect(confirmations).toEqual([
      expect.objectContaining({ tool_use_id: byTarget('staging'), result: 'allow' }),
      expect.objectContaining({
        tool_use_id: byTarget('prod'),
        result: 'deny',
        deny_message: 'not on a Friday',
      }),
    ]);
    expect(await staging.getAttribute('data-tool-use-id')).toBe(byTarget('staging'));
    await expect.poll(() => staging.locator('.tool-state').innerText()).toContain('done');
    await context.close();
  });

  // Was a bug: the harness settled the open calls it had read before running the first one, so
  // a denial sent while another approved call ran was stored but never acted on.
  it('acts on a denial sent while another approved call of the turn is still running', async () => {
    h = await startConsole({
      script: [
        {
          content: [
            {
              type: 'tool_use',
              name: 'bash',
              input: { command: `echo starting staging; ${waitFor('go')}; echo deployed staging` },
            },
            { type: 'tool_use', name: 'bash', input: { command: 'echo deployed prod' } },
          ],
        },
        { content: [{ type: 'text', text: 'Staging is deployed; prod was skipped.' }] },
      ],
    });
    const { page, context } = await openPage(browser(), h.url);
    const sessionId = await openSession(page, 'deploy everywhere', 'guarded');
    const staging = page.locator('.tool-card', { hasText: 'staging' });
    const prod = page.locator('.tool-card', { hasText: 'prod' });
    await staging.getByRole('button', { name: 'Approve' }).click();
    await staging.locator('.tool-output', { hasText: 'starting staging' }).waitFor();
    expect(await staging.locator('.tool-state').innerText()).toContain('running');
    await prod.getByLabel('Reason for denying bash').fill('not on a Friday');
    await prod.getByRole('button', { name: 'Deny' }).click();
    await prod.locator('.confirmation', { hasText: 'Denied: not on a Friday' }).waitFor();
    release(sessionId, 'go');
    await staging.locator('.tool-state', { hasText: 'done' }).waitFor();
    const status = page.getByTestId('session-status');
    await expect.poll(() => status.innerText()).toMatch(/^idle/);
    expect(await status.innerText()).not.toContain('requires action');
    await page.getByText('Staging is deployed; prod was skipped.').waitFor({ timeout: 5000 });
    await context.close();
  });

  it('resumes after the SSE connection drops mid-answer: the timeline completes with nothing lost or doubled', async () => {
    const watching = latch();
    const words = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
    h = await startConsole({
      script: async (_req, i) => {
        if (i === 0) await watching.opened;
        return { content: [{ type: 'text', text: `${words} END` }], chunkSize: 4, chunkDelayMs: 25 };
      },
    });
    const { page, context } = await openPage(browser(), h.url);
    const sessionId = await openSession(page, 'say many words', 'helper');
    watching.open();
    await page.locator('.msg-agent[data-live="true"]').getByText(/w1\b/).waitFor();
    h.dropConnections();
    await page.locator('.conn', { hasText: 'reconnecting' }).waitFor({ timeout: 5000 });
    await page.locator('.conn', { hasText: 'live' }).waitFor();
    const final = page.locator('.msg-agent:not([data-live])');
    await final.getByText(/END/).waitFor();

    await expect.poll(() => page.getByTestId('session-status').innerText()).toContain('idle');
    expect(await page.locator('.msg-agent').count()).toBe(1);
    expect((await final.innerText()).replace(/^Agent\s*/, '').trim()).toBe(`${words} END`);
    expect(await page.locator('.msg-user').count()).toBe(1);
    const ids = await page
      .locator('[data-event-id]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-event-id')));
    expect(new Set(ids).size).toBe(ids.length);
    const stored = await h.events(sessionId);
    const shown = new Set(ids);
    for (const e of stored.filter((x) =>
      ['user.message', 'agent.message', 'span.model_request_end'].includes(x.type),
    )) {
      expect(shown.has(e.id), `${e.type} ${e.id} shown`).toBe(true);
    }
    await context.close();
  });
});
