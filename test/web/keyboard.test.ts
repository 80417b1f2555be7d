/**
 * Accessibility of the console in headless Chromium: a session worked from the keyboard alone
 * (composer, Enter to send, Interrupt, Approve and Deny, each with its accessible name), and the
 * sessions list at phone width without sideways scrolling.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/threadhand.js';
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

const isFocused = (target: Locator) => target.evaluate((el) => el === el.ownerDocument.activeElement);

/**
 * Presses Tab (or Shift+Tab) until `target` has the focus, failing after `max` presses; then
 * checks the focus is shown (`:focus-visible` with an outline), as a keyboard user sees it.
 */
async function tabTo(page: Page, target: Locator, options: { backwards?: boolean; max?: number } = {}) {
  const key = options.backwards ? 'Shift+Tab' : 'Tab';
  const max = options.max ?? 60;
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(key);
    if (await isFocused(target)) {
      const shown = await target.evaluate(
        (el) =>
          el.matches(':focus-visible') &&
          el.ownerDocument.defaultView?.getComputedStyle(el).outlineStyle !== 'none',
      );
      expect(shown, `${String(target)}: keyboard focus is drawn`).toBe(true);
      // Not hidden under the sticky header or composer: the focused control is what is on top.
      const onTop = await target.evaluate((el) => {
        const box = el.getBoundingClientRect();
        const hit = el.ownerDocument.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        return hit !== null && (hit === el || el.contains(hit));
      });
      expect(onTop, `${String(target)}: the focused control is not covered`).toBe(true);
      return;
    }
  }
  throw new Error(`${String(target)} was not reached with ${max} presses of ${key}`);
}

describe('web console accessibility', { timeout: 60_000 }, () => {
  it('works a session from the keyboard: composer and Enter, Interrupt, Approve and Deny by name', async () => {
    const deploy = (target: string) => ({
      type: 'tool_use' as const,
      name: 'bash',
      input: { command: `echo deployed ${target}` },
    });
    h = await startConsole({
      script: [
        { content: [{ type: 'text', text: 'Hello! What next?' }] },
        { content: [{ type: 'text', text: 'word '.repeat(400) }], chunkSize: 5, chunkDelayMs: 20 },
        { content: [deploy('staging'), deploy('prod')] },
        { content: [{ type: 'text', text: 'Staging is deployed; prod was skipped.' }] },
      ],
    });
    const harness = h;
    const sessionId = await startSession(h, { agent: 'guarded', title: 'keyboard only', prompt: 'hello' });
    const { page, context } = await openPage(browser(), h.url);
    await page.goto(`/#/sessions/${sessionId}`);
    await page.getByText('Hello! What next?').waitFor();
    const status = page.getByTestId('session-status');
    await expect.poll(() => status.innerText()).toMatch(/^idle/);

    // From the top of the page, Tab reaches the composer; Enter sends.
    // Named "Message", or "Message to steer the running agent" while the agent works.
    const composer = page.getByRole('textbox', { name: /^Message/ });
    await tabTo(page, composer);
    await page.keyboard.type('write a long essay');
    await page.keyboard.press('Enter');
    await page.locator('.msg-user', { hasText: 'write a long essay' }).waitFor();
    await until(() => harness.fake.requests[1], 10_000, 'the model request for the typed message');
    expect(JSON.stringify(harness.fake.requests[1]?.body.messages)).toContain('write a long essay');
    expect(await composer.inputValue()).toBe('');

    // While the answer streams, Interrupt is the next stop after the composer.
    await page.locator('.msg-agent[data-live="true"]').getByText('word word').waitFor();
    const interrupt = page.getByRole('button', { name: 'Interrupt', exact: true });
    await tabTo(page, interrupt, { max: 3 });
    await shot(page, 'keyboard-interrupt-focus');
    await page.keyboard.press('Enter');
    await page.locator('.mark', { hasText: 'Interrupted' }).waitFor();
    await expect.poll(() => harness.fake.requests[1]?.aborted).toBe(true);
    await expect.poll(() => status.innerText()).toMatch(/^idle/);

    // Approve the first call and deny the second, all by keyboard.
    await tabTo(page, composer);
    await page.keyboard.type('deploy both');
    await page.keyboard.press('Enter');
    const staging = page.locator('.tool-card', { hasText: 'staging' });
    const prod = page.locator('.tool-card', { hasText: 'prod' });
    await prod.getByRole('button', { name: 'Approve', exact: true }).waitFor();
    // Each call's controls are grouped in a form named after the tool.
    expect(await page.getByRole('form', { name: 'Approve or deny bash' }).count()).toBe(2);
    await tabTo(page, staging.getByRole('button', { name: 'Approve', exact: true }), { backwards: true });
    await shot(page, 'keyboard-approve-focus');
    await page.keyboard.press('Enter');
    await staging.locator('.confirmation', { hasText: 'Approved' }).waitFor();
    await staging.locator('.tool-state', { hasText: 'done' }).waitFor();

    await tabTo(page, prod.getByRole('textbox', { name: 'Reason for denying bash' }));
    await page.keyboard.type('not on a Friday');
    await tabTo(page, prod.getByRole('button', { name: 'Deny', exact: true }), { max: 1 });
    await page.keyboard.press('Enter');
    await prod.locator('.confirmation', { hasText: 'Denied: not on a Friday' }).waitFor();
    await page.getByText('Staging is deployed; prod was skipped.').waitFor();

    const events = await h.events(sessionId);
    const uses = events.filter((e) => e.type === 'agent.tool_use');
    const byTarget = (target: string) =>
      uses.find((u) => u.type === 'agent.tool_use' && String(u.input.command).includes(target))?.id;
    expect(events.filter((e) => e.type === 'user.interrupt')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'user.tool_confirmation')).toEqual([
      expect.objectContaining({ tool_use_id: byTarget('staging'), result: 'allow' }),
      expect.objectContaining({
        tool_use_id: byTarget('prod'),
        result: 'deny',
        deny_message: 'not on a Friday',
      }),
    ]);
    await context.close();
  });

  it('fits the sessions list in a 390 px wide screen without sideways scrolling', async () => {
    h = await startConsole();
    const long = 'payments-service-production-cluster-eu-west-1-canary-rollout-verification';
    await h.client.beta.sessions.create({
      agent: 'helper',
      environment_id: 'default',
      title: `Investigate ${long}`,
      metadata: {
        'threadhand.platform': 'slack',
        'threadhand.thread': 'T1:C1:1700000000.1',
        'threadhand.thread_url': 'https://example.slack.com/archives/C1/p1700000000',
      },
    });
    await h.client.beta.sessions.create({
      agent: 'shell',
      environment_id: 'default',
      title: 'Nightly report',
    });
    await h.client.beta.sessions.create({ agent: 'guarded', environment_id: 'default' });

    const { page, context } = await openPage(browser(), h.url, { width: 390, height: 844 });
    await page.goto('/');
    const rows = page.locator('.session-row');
    await expect.poll(() => rows.count()).toBe(3);
    await page.getByRole('link', { name: `Investigate ${long}` }).waitFor();
    await shot(page, 'sessions-list-phone');
    expect(await overflowX(page)).toBeLessThanOrEqual(0);
    // Every row, link and filter stays inside the screen.
    for (const box of await page
      .locator('.session-row, .session-row a, .filters label, .section-head')
      .evaluateAll((els) =>
        els.map((e) => e.getBoundingClientRect().toJSON() as { left: number; right: number }),
      )) {
      expect(box.left).toBeGreaterThanOrEqual(0);
      expect(box.right).toBeLessThanOrEqual(390);
    }
    await context.close();
  });
});
