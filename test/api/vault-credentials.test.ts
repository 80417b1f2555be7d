/**
 * `static_bearer` and `mcp_oauth` vault credentials through the SDK: what is returned (never a
 * secret) and what is kept for the harness.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { createPlainVaultStore } from '../../src/api/vault-store.js';
import { type ApiHarness, startApi } from './helpers.js';

let h: ApiHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const BEARER = 'bearer-secret-7f3a';
const ACCESS = 'oauth-access-91c2';
const REFRESH = 'oauth-refresh-55de';
const CLIENT_SECRET = 'oauth-client-secret-0b8e';
const SECRETS = [BEARER, ACCESS, REFRESH, CLIENT_SECRET];

/** Fails when any secret appears anywhere in what the API returned. */
function expectNoSecret(value: unknown) {
  const json = JSON.stringify(value);
  for (const secret of SECRETS) expect(json).not.toContain(secret);
  for (const field of ['"token"', '"access_token"', '"refresh_token"', '"client_secret"'])
    expect(json).not.toContain(field);
}

describe('vault credentials: static_bearer and mcp_oauth', () => {
  it('creates, lists and retrieves them with their public fields and no secret', async () => {
    h = await startApi();
    const { client } = h;
    const vault = await client.beta.vaults.create({ display_name: 'mcp creds' });

    const bearer = await client.beta.vaults.credentials.create(vault.id, {
      display_name: 'linear',
      auth: { type: 'static_bearer', token: BEARER, mcp_server_url: 'https://mcp.linear.example/sse' },
    });
    expect(bearer).toMatchObject({
      type: 'vault_credential',
      vault_id: vault.id,
      display_name: 'linear',
      archived_at: null,
      auth: { type: 'static_bearer', mcp_server_url: 'https://mcp.linear.example/sse' },
    });
    expect(bearer.id).toMatch(/^vcrd_/);

    const oauth = await client.beta.vaults.credentials.create(vault.id, {
      display_name: 'github',
      metadata: { team: 'infra' },
      auth: {
        type: 'mcp_oauth',
        access_token: ACCESS,
        mcp_server_url: 'https://mcp.github.example/mcp',
        expires_at: '2030-01-01T00:00:00Z',
        refresh: {
          client_id: 'client-123',
          refresh_token: REFRESH,
          token_endpoint: 'https://auth.github.example/token',
          token_endpoint_auth: { type: 'client_secret_post', client_secret: CLIENT_SECRET },
          scope: 'repo read:org',
        },
      },
    });
    expect(oauth).toMatchObject({
      type: 'vault_credential',
      display_name: 'github',
      metadata: { team: 'infra' },
      auth: {
        type: 'mcp_oauth',
        mcp_server_url: 'https://mcp.github.example/mcp',
        expires_at: '2030-01-01T00:00:00Z',
        refresh: {
          client_id: 'client-123',
          token_endpoint: 'https://auth.github.example/token',
          token_endpoint_auth: { type: 'client_secret_post' },
          scope: 'repo read:org',
        },
      },
    });
    expectNoSecret([bearer, oauth]);

    const retrievedBearer = await client.beta.vaults.credentials.retrieve(bearer.id, { vault_id: vault.id });
    const retrievedOauth = await client.beta.vaults.credentials.retrieve(oauth.id, { vault_id: vault.id });
    expect(retrievedBearer).toEqual(bearer);
    expect(retrievedOauth).toEqual(oauth);
    expectNoSecret([retrievedBearer, retrievedOauth]);

    const listed = [];
    for await (const credential of client.beta.vaults.credentials.list(vault.id, { limit: 1 }))
      listed.push(credential);
    expect(listed.map((c) => c.id)).toEqual([bearer.id, oauth.id]);
    expect(listed).toEqual([bearer, oauth]);
    expectNoSecret(listed);

    // The secrets are kept (for the harness), apart from the records.
    const store = createPlainVaultStore(h.t.th.stores.resources);
    expect(await store.getSecret(vault.id, bearer.id)).toEqual({ token: BEARER });
    expect(await store.getSecret(vault.id, oauth.id)).toEqual({
      access_token: ACCESS,
      refresh_token: REFRESH,
      client_secret: CLIENT_SECRET,
    });
  });

  it('rotates their secrets on update without returning them', async () => {
    h = await startApi();
    const { client } = h;
    const vault = await client.beta.vaults.create({ display_name: 'rotation' });
    const bearer = await client.beta.vaults.credentials.create(vault.id, {
      auth: { type: 'static_bearer', token: 'old-bearer', mcp_server_url: 'https://mcp.one.example/' },
    });
    const oauth = await client.beta.vaults.credentials.create(vault.id, {
      auth: {
        type: 'mcp_oauth',
        access_token: 'old-access',
        mcp_server_url: 'https://mcp.two.example/',
        refresh: {
          client_id: 'c1',
          refresh_token: 'old-refresh',
          token_endpoint: 'https://auth.two.example/token',
          token_endpoint_auth: { type: 'client_secret_basic', client_secret: 'old-client-secret' },
        },
      },
    });

    const rotatedBearer = await client.beta.vaults.credentials.update(bearer.id, {
      vault_id: vault.id,
      auth: { type: 'static_bearer', token: BEARER },
    });
    const rotatedOauth = await client.beta.vaults.credentials.update(oauth.id, {
      vault_id: vault.id,
      auth: {
        type: 'mcp_oauth',
        access_token: ACCESS,
        expires_at: '2031-06-01T00:00:00Z',
        refresh: {
          refresh_token: REFRESH,
          scope: 'read',
          token_endpoint_auth: { type: 'client_secret_basic', client_secret: CLIENT_SECRET },
        },
      },
    });
    expectNoSecret([rotatedBearer, rotatedOauth]);
    expect(rotatedBearer.auth).toEqual(bearer.auth);
    expect(rotatedOauth.auth).toMatchObject({
      type: 'mcp_oauth',
      expires_at: '2031-06-01T00:00:00Z',
      refresh: { client_id: 'c1', scope: 'read', token_endpoint_auth: { type: 'client_secret_basic' } },
    });

    const store = createPlainVaultStore(h.t.th.stores.resources);
    expect(await store.getSecret(vault.id, bearer.id)).toEqual({ token: BEARER });
    expect(await store.getSecret(vault.id, oauth.id)).toEqual({
      access_token: ACCESS,
      refresh_token: REFRESH,
      client_secret: CLIENT_SECRET,
    });
  });

  it('rejects incomplete credentials with the field at fault', async () => {
    h = await startApi();
    const { client } = h;
    const vault = await client.beta.vaults.create({ display_name: 'bad' });
    const missingUrl = await client.beta.vaults.credentials
      .create(vault.id, {
        auth: {
          type: 'static_bearer',
          token: BEARER,
        } as Anthropic.Beta.Vaults.BetaManagedAgentsStaticBearerCreateParams,
      })
      .catch((e: unknown) => e);
    expect(missingUrl).toBeInstanceOf(Anthropic.BadRequestError);
    expect((missingUrl as Error).message).toContain('auth.mcp_server_url');
    expect((missingUrl as Error).message).not.toContain(BEARER);
    const page = await client.beta.vaults.credentials.list(vault.id);
    expect(page.data).toEqual([]);
  });
});
