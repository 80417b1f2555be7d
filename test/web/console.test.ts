/**
 * The web console in headless Chromium against a running `threadhand start`: start a session
 * and watch the answer stream, see API sessions appear live in the list, sign in with an API
 * key, phone-width layout.
 */
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

describe('web console', { timeout: 60_000 }, () => {
  it('starts a session from the console and shows the answer as it streams', async () => {
    const answer =
      'Here is **the plan**:\n\n1. Read the code\n2. Fix the bug\n\n```js\nconst fixed = true; // done\n```\n';
    h = await startConsole({
      script: [
        {
          content: [{ type: 'text', text: answer }],
          chunkSize: 3,
          chunkDelayMs: 40,
          usage: { input_tokens: 120, output_tokens: 45 },
        },
      ],
    });
    const { page, context } = await openPage(browser(), h.url);
    await page.goto('/');
    await page.getByRole('note').filter({ hasText: 'No API key is configured' }).waitFor();
    await page.getByRole('link', { name: 'New session' }).first().click();
    await page.getByLabel('Agent').selectOption({ label: 'helper — Helps with tasks' });
    await page.getByLabel('Task').fill('Fix the failing build');
    await page.getByRole('button', { name: 'Start session' }).click();

    await page.waitForURL(/#\/sessions\/sesn_/);
    // The answer is seen while it is still being written, then as the finished message.
    const live = page.locator('.msg-agent[data-live="true"]');
    await live.waitFor();
    const partial = await live.innerText();
    expect(partial).not.toContain('Fix the bug');
    const done = page.locator('.msg-agent:not([data-live])');
    await done.getByText('Fix the bug').waitFor();
    await expect.poll(() => done.locator('strong').innerText()).toBe('the plan');
    await expect.poll(() => done.locator('pre code .tok-keyword').first().innerText()).toBe('const');
    await page.getByText('Model request').waitFor();
    await expect.poll(() => page.getByTestId('session-status').innerText()).toContain('idle');
    expect(await page.locator('.msg-user').innerText()).toContain('Fix the failing build');

    const sessionId = decodeURIComponent(page.url().split('/sessions/')[1] ?? '');
    const stored = await h.client.beta.sessions.retrieve(sessionId);
    expect(stored.metadata['threadhand.platform']).toBe('web');
    expect(h.fake.requests[0]?.body.messages[0].content).toEqual(
      expect.arrayContaining([expect.objectContaining({ text: 'Fix the failing build' })]),
    );
    await shot(page, 'session-view-desktop');

    await page.setViewportSize({ width: 390, height: 844 });
    await shot(page, 'session-view-phone');
    expect(await overflowX(page)).toBeLessThanOrEqual(0);
    await context.close();
  });

  it('shows a session started through the API in the list without a reload', async () => {
    h = await startConsole({
      script: [{ content: [{ type: 'text', text: 'Done from the API.' }] }],
    });
    const { page, context } = await openPage(browser(), h.url);
    await page.goto('/');
    await page.getByText('No sessions yet').waitFor();

    const client = h.client;
    const session = await client.beta.sessions.create({
      agent: 'helper',
      environment_id: 'default',
      title: 'Nightly report',
      metadata: {
        'threadhand.platform': 'slack',
        'threadhand.thread': 'T1:C1:1700000000.1',
        'threadhand.thread_url': 'https://example.slack.com/archives/C1/p1700000000',
      },
    });
    await client.beta.sessions.events.send(session.id, {
      events: [{ type: 'user.message', content: [{ type: 'text', text: 'Write the report' }] }],
    });

    const row = page.locator(`[data-session-id="${session.id}"]`);
    await row.getByRole('link', { name: 'Nightly report' }).waitFor();
    await expect.poll(() => row.innerText()).toContain('slack');
    expect(await row.getByRole('link', { name: 'thread' }).getAttribute('href')).toBe(
      'https://example.slack.com/archives/C1/p1700000000',
    );
    await expect.poll(() => row.innerText(), { timeout: 10_000 }).toMatch(/idle/);
    expect(await row.innerText()).toMatch(/\d+ tokens/);

    // Filter and search narrow the list.
    await page.getByLabel('Search').fill('no such session');
    await page.getByText('No session matches.').waitFor();
    await page.getByLabel('Search').fill('nightly');
    await row.waitFor();
    await shot(page, 'sessions-list');

    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('heading', { name: /helper/ }).waitFor();
    await shot(page, 'agents');
    await context.close();
  });

  it('shows a retried model error, collapsed thinking, and the same timeline after a reload', async () => {
    h = await startConsole({
      script: [
        { error: { status: 529, type: 'overloaded_error', message: 'Overloaded', retryAfterMs: 10 } },
        {
          content: [
            { type: 'thinking', thinking: 'The user wants a haiku.' },
            { type: 'text', text: 'Autumn moonlight' },
          ],
        },
      ],
    });
    const { page, context } = await openPage(browser(), h.url);
    const sessionId = await startSession(h, { title: 'haiku', prompt: 'write a haiku' });
    // The page opens on finished history, not on a live stream.
    const client = h.client;
    const harness = h;
    await until(
      async () =>
        (await client.beta.sessions.retrieve(sessionId)).status === 'idle' &&
        (await harness.events(sessionId)).some((e) => e.type === 'agent.message'),
      10_000,
      'the haiku session to finish',
    );
    await page.goto(`/#/sessions/${sessionId}`);
    await page.getByText('Autumn moonlight').waitFor();
    await page.locator('.mark.error', { hasText: /overloaded.*retrying/i }).waitFor();
    const thinking = page.locator('.thinking details');
    expect(await thinking.getAttribute('open')).toBeNull();
    expect(await page.getByText('The user wants a haiku.').isVisible()).toBe(false);
    await thinking.locator('summary').click();
    await page.getByText('The user wants a haiku.').waitFor();
    const before = await page
      .locator('[data-event-id]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-event-id')));
    await page.reload();
    await page.getByText('Autumn moonlight').waitFor();
    const after = await page
      .locator('[data-event-id]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-event-id')));
    expect(after).toEqual(before);
    await context.close();
  });

  it('asks for an API key when the server has keys, keeps it for the tab, and refuses a wrong one', async () => {
    h = await startConsole({ apiKeys: ['th-web-key-1'] });
    const { page, context } = await openPage(browser(), h.url);
    await page.goto('/');
    await page.getByLabel('API key').fill('wrong-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'refused' }).waitFor();
    await page.getByLabel('API key').fill('th-web-key-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    expect(await page.getByText('No API key is configured').count()).toBe(0);
    await page.reload();
    await page.getByRole('heading', { name: 'Sessions' }).waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('threadhand.apiKey')")).toBe(
      'th-web-key-1',
    );
    await until(
      async () => (await page.getByRole('button', { name: 'Sign out' }).count()) === 1,
      5000,
      'sign out button',
    );
    await context.close();
  });
});
