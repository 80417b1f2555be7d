/**
 * The Environments, Agents and Vaults views of the console in headless Chromium, over
 * resources created through the official SDK against a running `threadhand start`.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { browserPerFile, type ConsoleHarness, openPage, shot, startConsole } from './helpers.js';

const browser = browserPerFile();
let h: ConsoleHarness | undefined;

describe('web console resource views', { timeout: 60_000 }, () => {
  it('shows environments, an API-created agent, and a vault credential by name but never its secret', async () => {
    h = await startConsole();
    const secret = `ghp_${randomBytes(16).toString('hex')}`;
    const agent = await h.client.beta.agents.create({
      name: 'reviewer',
      model: 'claude-test',
      description: 'Reviews pull requests',
      system: 'Review every change carefully.',
      tools: [
        {
          type: 'agent_toolset_20260401',
          configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }],
        },
      ],
    });
    const environment = await h.client.beta.environments.create({
      name: 'data-science',
      config: {
        type: 'cloud',
        networking: { type: 'limited', allowed_hosts: ['pypi.org'] },
        packages: { pip: ['pandas'] },
      },
      metadata: { 'threadhand.provider': 'local' },
    });
    const vault = await h.client.beta.vaults.create({ display_name: 'GitHub' });
    await h.client.beta.vaults.credentials.create(vault.id, {
      display_name: 'Deploy token',
      auth: {
        type: 'environment_variable',
        secret_name: 'GITHUB_TOKEN',
        secret_value: secret,
        networking: { type: 'limited', allowed_hosts: ['api.github.com'] },
      },
    });

    const { page, context } = await openPage(browser(), h.url);
    const responses: Array<Promise<{ url: string; body: string }>> = [];
    page.on('response', (response) =>
      responses.push(
        response.body().then(
          (body) => ({ url: response.url(), body: body.toString('utf8') }),
          () => ({ url: response.url(), body: '' }),
        ),
      ),
    );
    await page.goto('/');
    const nav = page.getByRole('navigation', { name: 'Main' });

    await nav.getByRole('link', { name: 'Environments' }).click();
    await page.getByRole('heading', { name: 'Environments', level: 1 }).waitFor();
    const yamlEnv = page.locator('li.card', { has: page.getByRole('heading', { name: /^default/ }) });
    const apiEnv = page.locator('li.card', { has: page.getByRole('heading', { name: /^data-science/ }) });
    await expect.poll(() => yamlEnv.innerText()).toContain('Local sandbox for the console tests');
    expect(await yamlEnv.getByRole('heading').innerText()).toContain('yaml');
    expect(await apiEnv.getByRole('heading').innerText()).toContain('api');
    const apiEnvText = await apiEnv.innerText();
    expect(apiEnvText).toContain(environment.id);
    expect(apiEnvText).toMatch(/Provider\s+local/);
    expect(apiEnvText).toContain('pypi.org');
    expect(apiEnvText).toContain('pandas');
    expect(await nav.getByRole('link', { name: 'Environments' }).getAttribute('aria-current')).toBe('page');
    await shot(page, 'environments');

    await nav.getByRole('link', { name: 'Agents' }).click();
    const card = page.locator('li.card', { has: page.getByRole('heading', { name: /^reviewer/ }) });
    await card.waitFor();
    expect(await card.getByRole('heading').innerText()).toMatch(/reviewer\s+v1 · api/);
    const agentText = await card.innerText();
    expect(agentText).toContain('Reviews pull requests');
    expect(agentText).toContain(agent.id);
    expect(agentText).toMatch(/Model\s+claude-test/);
    // The system prompt is folded away until asked for.
    expect(await card.getByText('Review every change carefully.').isVisible()).toBe(false);
    await card.getByText('System prompt').click();
    await card.getByText('Review every change carefully.').waitFor();
    // The YAML agents are listed beside it.
    await page.getByRole('heading', { name: /^helper\s+v1 · yaml/ }).waitFor();
    await shot(page, 'agents-api');

    await nav.getByRole('link', { name: 'Vaults' }).click();
    const vaultCard = page.locator('li.card', { has: page.getByRole('heading', { name: 'GitHub' }) });
    const credential = vaultCard.getByRole('listitem').filter({ hasText: 'Deploy token' });
    await credential.waitFor();
    expect(await credential.innerText()).toContain('environment variable');
    await shot(page, 'vaults');

    // The secret is nowhere: not in the page, not in anything the server sent.
    expect(await page.content()).not.toContain(secret);
    expect(await page.evaluate<string>('document.body.innerText')).not.toContain(secret);
    const bodies = await Promise.all(responses);
    expect(bodies.some((r) => r.url.includes(`/v1/vaults/${vault.id}/credentials`))).toBe(true);
    expect(bodies.some((r) => r.body.includes('Deploy token'))).toBe(true);
    for (const r of bodies) expect(r.body, r.url).not.toContain(secret);
    await context.close();
  });
});
