/**
 * Working a session from the console in headless Chromium: tool output streaming into a card,
 * steering, interrupting, approving and denying `always_ask` calls, and a dropped SSE
 * connection that resumes with Last-Event-ID without losing or doubling anything.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Tool, textResult } from '../../src/tools/types.js';
import type { FakeTurn } from '../fakes/anthropic/server.js';
import { text, until } from '../helpers/threadhand.js';
import { buildConsole, type ConsoleHarness, launchBrowser, openPage, shot, startConsole } from './helpers.js';

let assetsDir: string;
let browser: Browser;
let h: ConsoleHarness | undefined;

beforeAll(async () => {
  [assetsDir, browser] = await Promise.all([buildConsole(), launchBrowser()]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A promise the test resolves when it is ready (the page is watching). */
function latch() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open: () => open() };
}

async function openSession(page: Page, prompt: string): Promise<string> {
  if (!h) throw new Error('no harness');
  const session = await h.t.th.runtime.createSession({
    agent: 'helper',
    title: prompt,
    initialEvents: [text(prompt)],
  });
  await page.goto(`/#/sessions/${session.id}`);
  await page.locator('.conn', { hasText: 'live' }).waitFor();
  return session.id;
}

const requestText = (i: number) => JSON.stringify(h?.t.fake.requests[i]?.body.messages ?? null);

describe('web console session controls', { timeout: 60_000 }, () => {
  it('streams tool output into the tool card, then shows exit code and duration', async () => {
    const more = latch();
    const count: Tool = {
      name: 'count',
      description: 'Counts.',
      input_schema: { type: 'object', properties: { command: { type: 'string' } } },
      kind: 'test',
      permission: 'always_allow',
      async run(_input, ctx) {
        for (let i = 1; i <= 3; i++) ctx.onProgress(`line ${i}\n`);
        await more.opened;
        for (let i = 4; i <= 5; i++) ctx.onProgress(`line ${i}\n`);
        return textResult('line 1\nline 2\nline 3\nline 4\nline 5\n');
      },
    };
    const watching = latch();
    h = await startConsole({
      assetsDir,
      extraTools: [count],
      script: async (_req, i) => {
        if (i === 0) await watching.opened;
        return i === 0
          ? { content: [{ type: 'tool_use', name: 'count', input: { command: 'seq 5' } }] }
          : { content: [{ type: 'text', text: 'Counted to five.' }] };
      },
    });
    const { page, context } = await openPage(browser, h.url);
    await openSession(page, 'count to five');
    watching.open();

    const card = page.locator('.tool-card');
    await card.locator('.tool-output').getByText('line 3').waitFor();
    expect(await card.locator('.tool-state').innerText()).toContain('running');
    expect(await card.locator('.tool-output').innerText()).not.toContain('line 4');
    await shot(page, 'tool-card-streaming');
    more.open();
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
      .toEqual(['run', 'model', 'tool', 'model']);
    expect(await page.locator('tr[data-span-kind="tool"] th').textContent()).toContain('count');
    await shot(page, 'trace');
    await page.getByRole('button', { name: 'Timeline' }).click();
    await page.getByText('Counted to five.').waitFor();
    await context.close();
  });

  it('steers a running session from the composer and interrupts a streaming answer', async () => {
    let release: () => void = () => undefined;
    let started = false;
    const gate: Tool = {
      name: 'gate',
      description: 'Waits.',
      input_schema: { type: 'object', properties: {} },
      kind: 'test',
      permission: 'always_allow',
      run(_input, ctx) {
        started = true;
        return new Promise((resolve) => {
          release = () => resolve(textResult('gate opened'));
          ctx.signal.addEventListener('abort', () => resolve(textResult('aborted', true)), { once: true });
        });
      },
    };
    const script: FakeTurn[] = [
      { content: [{ type: 'tool_use', name: 'gate', input: {} }] },
      { content: [{ type: 'text', text: 'Bien sûr, en français.' }] },
      { content: [{ type: 'text', text: 'word '.repeat(400) }], chunkSize: 5, chunkDelayMs: 20 },
    ];
    h = await startConsole({ assetsDir, extraTools: [gate], script });
    const { page, context } = await openPage(browser, h.url);
    const sessionId = await openSession(page, 'do the thing');
    await until(() => started, 10_000, 'tool start');
    await page.locator('.tool-card .tool-state', { hasText: 'running' }).waitFor();

    await page.getByLabel('Message to steer the running agent').fill('answer in French please');
    await page.getByLabel('Message to steer the running agent').press('Enter');
    await page.locator('.msg-user', { hasText: 'answer in French please' }).waitFor();
    release();
    await page.getByText('Bien sûr, en français.').waitFor();
    expect(requestText(1)).toContain('answer in French please');

    // A long answer is interrupted from the console while it streams.
    await page.getByLabel('Message').fill('now write a long essay');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.msg-agent[data-live="true"]').getByText('word word').waitFor();
    await page.getByRole('button', { name: 'Interrupt' }).click();
    await page.locator('.mark', { hasText: 'Interrupted' }).waitFor();
    await expect
      .poll(() => page.getByTestId('session-status').innerText(), { timeout: 5000 })
      .toContain('idle');
    await expect.poll(() => h?.t.fake.requests[2]?.aborted).toBe(true);
    expect(await page.getByRole('button', { name: 'Interrupt' }).count()).toBe(0);
    const events = await h.t.events(sessionId);
    expect(events.filter((e) => e.type === 'user.interrupt')).toHaveLength(1);
    await shot(page, 'session-interrupted');
    await context.close();
  });

  it('approves one always_ask call and denies the other with a reason, each bound to its own call', async () => {
    const ran: string[] = [];
    const deploy: Tool = {
      name: 'deploy',
      description: 'Deploys.',
      input_schema: { type: 'object', properties: { target: { type: 'string' } } },
      kind: 'test',
      permission: 'always_ask',
      async run(input) {
        ran.push(String(input.target));
        return textResult(`deployed ${String(input.target)}`);
      },
    };
    h = await startConsole({
      assetsDir,
      extraTools: [deploy],
      script: [
        {
          content: [
            { type: 'tool_use', name: 'deploy', input: { target: 'staging' } },
            { type: 'tool_use', name: 'deploy', input: { target: 'prod' } },
          ],
        },
        { content: [{ type: 'text', text: 'Staging is deployed; prod was skipped.' }] },
      ],
    });
    const { page, context } = await openPage(browser, h.url);
    const sessionId = await openSession(page, 'deploy everywhere');
    const staging = page.locator('.tool-card', { hasText: 'staging' });
    const prod = page.locator('.tool-card', { hasText: 'prod' });
    await staging.getByRole('button', { name: 'Approve' }).waitFor();
    await prod.getByRole('button', { name: 'Approve' }).waitFor();
    await shot(page, 'approval-cards');
    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'approval-cards-phone');
    expect(
      await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'),
    ).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });

    await staging.getByRole('button', { name: 'Approve' }).click();
    await staging.locator('.confirmation', { hasText: 'Approved' }).waitFor();
    await prod.getByLabel('Reason for denying deploy').fill('not on a Friday');
    await prod.getByRole('button', { name: 'Deny' }).click();
    await prod.locator('.confirmation', { hasText: 'Denied: not on a Friday' }).waitFor();
    await page.getByText('Staging is deployed; prod was skipped.').waitFor();

    expect(ran).toEqual(['staging']);
    expect(requestText(1)).toContain('not on a Friday');
    const events = await h.t.events(sessionId);
    const uses = events.filter((e) => e.type === 'agent.tool_use');
    const confirmations = events.filter((e) => e.type === 'user.tool_confirmation');
    const byTarget = (target: string) =>
      uses.find((u) => u.type === 'agent.tool_use' && u.input.target === target)?.id;
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

  it('resumes after the SSE connection drops mid-answer: the timeline completes with nothing lost or doubled', async () => {
    const watching = latch();
    const words = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
    h = await startConsole({
      assetsDir,
      script: async (_req, i) => {
        if (i === 0) await watching.opened;
        return { content: [{ type: 'text', text: `${words} END` }], chunkSize: 4, chunkDelayMs: 25 };
      },
    });
    const { page, context } = await openPage(browser, h.url);
    const sessionId = await openSession(page, 'say many words');
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
    const stored = await h.t.events(sessionId);
    const shown = new Set(ids);
    for (const e of stored.filter((x) =>
      ['user.message', 'agent.message', 'span.model_request_end'].includes(x.type),
    )) {
      expect(shown.has(e.id), `${e.type} ${e.id} shown`).toBe(true);
    }
    await context.close();
  });
});
