import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPlainVaultStore } from '../../src/api/vault-store.js';
import { API_KEY, type ApiHarness, startApi } from './helpers.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApi({ maxBodyBytes: 64 * 1024 });
});
afterAll(async () => {
  await h?.close();
});

async function errorOf(promise: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Anthropic.APIError) return err;
    throw err;
  }
  throw new Error('expected the request to fail');
}

describe('auth and errors', () => {
  it('rejects a missing or wrong key with 401 in the Anthropic shape; accepts x-api-key and Bearer', async () => {
    const wrong = await errorOf(h.clientWith({ apiKey: 'nope' }).beta.agents.list());
    expect(wrong.status).toBe(401);
    expect(wrong).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(wrong.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });

    const none = await fetch(`${h.server.url}/v1/agents`);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error', message: expect.stringContaining('x-api-key') },
    });

    const bearer = await fetch(`${h.server.url}/v1/agents`, {
      headers: { authorization: `Bearer ${API_KEY}` },
    });
    expect(bearer.status).toBe(200);
    const viaAuthToken = new Anthropic({
      baseURL: h.server.url,
      apiKey: null,
      authToken: API_KEY,
      maxRetries: 0,
    });
    expect((await viaAuthToken.beta.agents.list()).data.length).toBeGreaterThan(0);
  });

  it('answers unknown routes with a clean 404 and bad JSON with a 400', async () => {
    const res = await fetch(`${h.server.url}/v1/teleporters`, { headers: { 'x-api-key': API_KEY } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'No route for GET /v1/teleporters.' },
    });

    const missing = await errorOf(h.client.beta.agents.retrieve('agent_missing'));
    expect(missing.status).toBe(404);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect(missing.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });

    const bad = await fetch(`${h.server.url}/v1/agents`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: '{nope',
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
  });

  it('tags every response with a request id and refuses oversized bodies with 413', async () => {
    const missing = await errorOf(h.client.beta.sessions.retrieve('sesn_missing'));
    expect(missing.requestID).toMatch(/^req_/);
    const big = await errorOf(
      h.client.beta.agents.create({ name: 'big', model: 'claude-test', system: 'x'.repeat(100_000) }),
    );
    expect(big.status).toBe(413);
    expect(big.error).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
  });

  it('names the offending field in a 400', async () => {
    const noModel = await errorOf(h.client.beta.agents.create({ name: 'x' } as never));
    expect(noModel.status).toBe(400);
    expect(noModel.message).toMatch(/model/);
    const badPolicy = await errorOf(
      h.client.beta.agents.create({
        name: 'x',
        model: 'claude-test',
        tools: [
          {
            type: 'agent_toolset_20260401',
            configs: [{ name: 'bash', permission_policy: { type: 'sometimes' } as never }],
          },
        ],
      }),
    );
    expect(badPolicy.status).toBe(400);
    expect(badPolicy.message).toMatch(/tools\.0\.configs\.0\.permission_policy/);
  });
});

describe('agents', () => {
  it('creates, retrieves, updates to new versions, lists versions, lists and archives', async () => {
    const created = await h.client.beta.agents.create({
      name: 'Coding Assistant',
      model: { id: 'claude-test', effort: 'high' },
      system: 'Write code.',
      description: 'codes',
      metadata: { team: 'infra' },
      tools: [
        {
          type: 'agent_toolset_20260401',
          configs: [{ name: 'bash', permission_policy: { type: 'always_ask' } }],
        },
      ],
    });
    expect(created).toMatchObject({
      type: 'agent',
      name: 'Coding Assistant',
      version: 1,
      system: 'Write code.',
      model: { id: 'claude-test', effort: { type: 'high' } },
      metadata: { team: 'infra' },
      archived_at: null,
    });
    expect(created.id).toMatch(/^agent_/);
    expect(created.tools[0]).toMatchObject({
      type: 'agent_toolset_20260401',
      default_config: { enabled: true, permission_policy: { type: 'always_allow' } },
      configs: [{ name: 'bash', type: 'bash', enabled: true, permission_policy: { type: 'always_ask' } }],
    });

    const v2 = await h.client.beta.agents.update(created.id, {
      system: 'Write careful code.',
      metadata: { team: null, owner: 'ana' },
      version: 1,
    });
    expect(v2).toMatchObject({ version: 2, system: 'Write careful code.', metadata: { owner: 'ana' } });
    expect(v2.metadata).not.toHaveProperty('team');

    const stale = await errorOf(h.client.beta.agents.update(created.id, { system: 'x', version: 1 }));
    expect(stale.status).toBe(409);
    expect(stale.message).toMatch(/version 2/);

    expect((await h.client.beta.agents.retrieve(created.id)).version).toBe(2);
    expect((await h.client.beta.agents.retrieve(created.id, { version: 1 })).system).toBe('Write code.');

    const versions = [];
    for await (const v of h.client.beta.agents.versions.list(created.id, { limit: 1 }))
      versions.push(v.version);
    expect(versions).toEqual([2, 1]);

    const listed = await h.client.beta.agents.list();
    expect(listed.data.map((a) => a.id)).toEqual(expect.arrayContaining(['helper', created.id]));

    const archived = await h.client.beta.agents.archive(created.id);
    expect(archived.archived_at).not.toBeNull();
    expect((await h.client.beta.agents.list()).data.map((a) => a.id)).not.toContain(created.id);
    expect((await h.client.beta.agents.list({ include_archived: true })).data.map((a) => a.id)).toContain(
      created.id,
    );
  });

  it('shows YAML agents read-only, with an error that says to edit the file', async () => {
    const yaml = await h.client.beta.agents.retrieve('helper');
    expect(yaml).toMatchObject({ id: 'helper', name: 'helper', system: 'You help.', version: 1 });
    const err = await errorOf(h.client.beta.agents.update('helper', { system: 'changed' }));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/agents\/helper\.yaml/);
    expect((await h.client.beta.agents.versions.list('helper')).data).toHaveLength(1);
  });

  it('pages through agents with next_page until the end', async () => {
    for (let i = 0; i < 5; i++)
      await h.client.beta.agents.create({ name: `pager-${i}`, model: 'claude-test' });
    const first = await h.client.beta.agents.list({ limit: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.next_page).toBeTruthy();
    const seen: string[] = [];
    for await (const agent of h.client.beta.agents.list({ limit: 2 })) seen.push(agent.id);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => id !== 'helper').length).toBeGreaterThanOrEqual(5);
  });
});

describe('environments', () => {
  it('creates, retrieves, updates, lists, archives and deletes, mapping config both ways', async () => {
    const env = await h.client.beta.environments.create({
      name: 'Data Science',
      config: {
        type: 'cloud',
        networking: { type: 'limited', allowed_hosts: ['pypi.org'] },
        packages: { pip: ['pandas'] },
      },
      metadata: { 'threadhand.provider': 'local' },
    });
    expect(env).toMatchObject({
      type: 'environment',
      name: 'Data Science',
      config: {
        type: 'cloud',
        networking: {
          type: 'limited',
          allowed_hosts: ['pypi.org'],
          allow_mcp_servers: false,
          allow_package_managers: false,
        },
        packages: { type: 'packages', pip: ['pandas'], apt: [] },
      },
    });
    expect(env.id).toMatch(/^env_/);
    expect((env as unknown as { threadhand: { provider: string } }).threadhand.provider).toBe('local');

    const updated = await h.client.beta.environments.update(env.id, {
      description: 'numbers',
      config: { type: 'cloud', networking: { type: 'unrestricted' } },
    });
    expect(updated).toMatchObject({
      description: 'numbers',
      config: { networking: { type: 'unrestricted' }, packages: { pip: ['pandas'] } },
    });
    expect(await h.client.beta.environments.retrieve(env.id)).toMatchObject({ description: 'numbers' });
    expect((await h.client.beta.environments.list()).data.map((e) => e.id)).toEqual(
      expect.arrayContaining(['default', env.id]),
    );

    const yamlErr = await errorOf(h.client.beta.environments.update('default', { description: 'x' }));
    expect(yamlErr.status).toBe(400);
    expect(yamlErr.message).toMatch(/environments\/default\.yaml/);

    const badProvider = await errorOf(
      h.client.beta.environments.create({ name: 'x', metadata: { 'threadhand.provider': 'mars' } }),
    );
    expect(badProvider.message).toMatch(/provider/);

    expect((await h.client.beta.environments.archive(env.id)).archived_at).not.toBeNull();
    expect((await h.client.beta.environments.list()).data.map((e) => e.id)).not.toContain(env.id);
    expect(await h.client.beta.environments.delete(env.id)).toEqual({
      id: env.id,
      type: 'environment_deleted',
    });
    expect((await errorOf(h.client.beta.environments.retrieve(env.id))).status).toBe(404);
  });
});

describe('vaults and credentials', () => {
  it('stores credentials and never returns secret values', async () => {
    const vault = await h.client.beta.vaults.create({ display_name: 'GitHub', metadata: { team: 'infra' } });
    expect(vault).toMatchObject({ type: 'vault', display_name: 'GitHub', archived_at: null });
    const cred = await h.client.beta.vaults.credentials.create(vault.id, {
      display_name: 'token',
      auth: {
        type: 'environment_variable',
        secret_name: 'GITHUB_TOKEN',
        secret_value: 'ghp_SECRET123',
        networking: { type: 'limited', allowed_hosts: ['api.github.com'] },
      },
    });
    expect(cred).toMatchObject({
      type: 'vault_credential',
      vault_id: vault.id,
      auth: {
        type: 'environment_variable',
        secret_name: 'GITHUB_TOKEN',
        injection_location: { header: true, body: false },
      },
    });
    const bearer = await h.client.beta.vaults.credentials.create(vault.id, {
      auth: { type: 'static_bearer', token: 'tok_SECRET456', mcp_server_url: 'https://mcp.example.com/mcp' },
    });

    const everything = JSON.stringify([
      cred,
      await h.client.beta.vaults.credentials.retrieve(cred.id, { vault_id: vault.id }),
      await h.client.beta.vaults.credentials.list(vault.id),
      await h.client.beta.vaults.credentials.update(cred.id, {
        vault_id: vault.id,
        auth: { type: 'environment_variable', secret_value: 'ghp_NEWSECRET' },
        metadata: { rotated: 'yes' },
      }),
      bearer,
    ]);
    expect(everything).not.toMatch(/SECRET/);
    // The secret is kept for harness-side injection, rotated by the update.
    expect(await createPlainVaultStore(h.t.th.stores.resources).getSecret(vault.id, cred.id)).toEqual({
      secret_value: 'ghp_NEWSECRET',
    });
    expect((await h.client.beta.vaults.credentials.list(vault.id)).data).toHaveLength(2);

    expect(await h.client.beta.vaults.retrieve(vault.id)).toMatchObject({ display_name: 'GitHub' });
    expect(await h.client.beta.vaults.update(vault.id, { display_name: 'GitHub org' })).toMatchObject({
      display_name: 'GitHub org',
    });
    expect((await h.client.beta.vaults.list()).data.map((v) => v.id)).toContain(vault.id);
    expect(
      (await h.client.beta.vaults.credentials.archive(bearer.id, { vault_id: vault.id })).archived_at,
    ).not.toBeNull();
    expect(await h.client.beta.vaults.credentials.delete(bearer.id, { vault_id: vault.id })).toEqual({
      id: bearer.id,
      type: 'vault_credential_deleted',
    });
    expect((await h.client.beta.vaults.archive(vault.id)).archived_at).not.toBeNull();
    expect(await h.client.beta.vaults.delete(vault.id)).toEqual({ id: vault.id, type: 'vault_deleted' });
    expect((await errorOf(h.client.beta.vaults.retrieve(vault.id))).status).toBe(404);
  });
});
