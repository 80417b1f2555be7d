import { Hono } from 'hono';
import { z } from 'zod';
import type {
  CredentialAuth,
  CredentialRecord,
  CredentialSecret,
  VaultRecord,
} from '../../credentials/vault-types.js';
import { resourceId } from '../../events/ids.js';
import { type ApiDeps, nowIso } from '../context.js';
import { badRequest, notFound, notSupported, parseWith, readJson } from '../errors.js';
import { BoolParam, pageParams, paginate } from '../pagination.js';

const Metadata = z.record(z.string(), z.string());
const MetadataPatch = z.record(z.string(), z.string().nullable()).nullish();

const Networking = z.discriminatedUnion('type', [
  z.object({ type: z.literal('unrestricted') }),
  z.object({
    type: z.literal('limited'),
    allowed_hosts: z.array(z.string().min(1)).min(1, 'list at least one host'),
  }),
]);
const Injection = z.object({ header: z.boolean().optional(), body: z.boolean().optional() });
const TokenEndpointAuth = z.discriminatedUnion('type', [
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('client_secret_basic'), client_secret: z.string().min(1) }),
  z.object({ type: z.literal('client_secret_post'), client_secret: z.string().min(1) }),
]);

const AuthCreate = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('environment_variable'),
    secret_name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use a valid environment variable name'),
    secret_value: z.string().min(1),
    networking: Networking,
    injection_location: Injection.optional(),
  }),
  z.object({ type: z.literal('static_bearer'), token: z.string().min(1), mcp_server_url: z.url() }),
  z.object({
    type: z.literal('mcp_oauth'),
    access_token: z.string().min(1),
    mcp_server_url: z.url(),
    expires_at: z.string().nullish(),
    refresh: z
      .object({
        client_id: z.string(),
        refresh_token: z.string(),
        token_endpoint: z.url(),
        token_endpoint_auth: TokenEndpointAuth,
        resource: z.string().nullish(),
        scope: z.string().nullish(),
      })
      .nullish(),
  }),
]);

const AuthUpdate = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('environment_variable'),
    secret_value: z.string().min(1).nullish(),
    networking: Networking.nullish(),
    injection_location: Injection.optional(),
  }),
  z.object({ type: z.literal('static_bearer'), token: z.string().min(1).nullish() }),
  z
    .object({
      type: z.literal('mcp_oauth'),
      access_token: z.string().nullish(),
      expires_at: z.string().nullish(),
      refresh: z
        .object({
          refresh_token: z.string().min(1).nullish(),
          /** An empty string clears the stored scope. */
          scope: z.string().nullish(),
          token_endpoint_auth: z
            .object({
              type: z.enum(['client_secret_basic', 'client_secret_post']),
              client_secret: z.string().min(1).nullish(),
            })
            .optional(),
        })
        .nullish(),
    })
    .loose(),
]);

/** Splits create params into the stored (public) auth and the write-only secret. */
function splitAuth(auth: z.infer<typeof AuthCreate>): { auth: CredentialAuth; secret: CredentialSecret } {
  switch (auth.type) {
    case 'environment_variable':
      return {
        auth: {
          type: auth.type,
          secret_name: auth.secret_name,
          networking: auth.networking,
          injection_location: {
            header: auth.injection_location?.header ?? true,
            body: auth.injection_location?.body ?? false,
          },
        },
        secret: { secret_value: auth.secret_value },
      };
    case 'static_bearer':
      return {
        auth: { type: auth.type, mcp_server_url: auth.mcp_server_url },
        secret: { token: auth.token },
      };
    case 'mcp_oauth': {
      const secret: CredentialSecret = { access_token: auth.access_token };
      let refresh = null;
      if (auth.refresh) {
        const { refresh_token, token_endpoint_auth, ...rest } = auth.refresh;
        secret.refresh_token = refresh_token;
        if ('client_secret' in token_endpoint_auth) secret.client_secret = token_endpoint_auth.client_secret;
        refresh = { ...rest, token_endpoint_auth: { type: token_endpoint_auth.type } };
      }
      return {
        auth: {
          type: auth.type,
          mcp_server_url: auth.mcp_server_url,
          expires_at: auth.expires_at ?? null,
          refresh,
        },
        secret,
      };
    }
  }
}

const patchMetadata = (
  current: Record<string, string>,
  patch: Record<string, string | null> | null | undefined,
) => {
  if (patch === null) return {};
  const next = { ...current };
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
};

const vaultWire = (v: VaultRecord) => ({ type: 'vault' as const, ...v });
const credentialWire = (c: CredentialRecord) => ({ type: 'vault_credential' as const, ...c });

export function vaultRoutes(deps: ApiDeps): Hono {
  const { vaults } = deps;
  const app = new Hono();

  async function requireVault(id: string): Promise<VaultRecord> {
    const vault = await vaults.getVault(id);
    if (!vault) throw notFound(`No vault ${id}.`, 'vault_not_found');
    return vault;
  }
  async function requireCredential(vaultId: string, id: string): Promise<CredentialRecord> {
    await requireVault(vaultId);
    const credential = await vaults.getCredential(vaultId, id);
    if (!credential) throw notFound(`No credential ${id} in vault ${vaultId}.`, 'credential_not_found');
    return credential;
  }
  const listQuery = (query: Record<string, string>) => ({
    ...pageParams(query),
    ...parseWith(z.object({ include_archived: BoolParam }), { include_archived: query.include_archived }),
  });

  app.post('/', async (c) => {
    const body = parseWith(
      z.object({ display_name: z.string().min(1), metadata: Metadata.optional() }),
      await readJson(c),
    );
    const now = nowIso();
    const vault: VaultRecord = {
      id: resourceId('vlt'),
      display_name: body.display_name,
      metadata: body.metadata ?? {},
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    await vaults.putVault(vault);
    return c.json(vaultWire(vault));
  });
  app.get('/', async (c) => {
    const q = listQuery(c.req.query());
    const all = (await vaults.listVaults())
      .filter((v) => q.include_archived || !v.archived_at)
      .map(vaultWire);
    const result = paginate(all, q.limit, q.page);
    return c.json({ data: result.data, next_page: result.next_page });
  });
  app.get('/:id', async (c) => c.json(vaultWire(await requireVault(c.req.param('id')))));
  app.post('/:id', async (c) => {
    const vault = await requireVault(c.req.param('id'));
    const body = parseWith(
      z.object({ display_name: z.string().min(1).nullish(), metadata: MetadataPatch }),
      await readJson(c),
    );
    const next = {
      ...vault,
      display_name: body.display_name ?? vault.display_name,
      metadata: patchMetadata(vault.metadata, body.metadata),
      updated_at: nowIso(),
    };
    await vaults.putVault(next);
    return c.json(vaultWire(next));
  });
  app.post('/:id/archive', async (c) => {
    const vault = await requireVault(c.req.param('id'));
    const next = { ...vault, archived_at: vault.archived_at ?? nowIso(), updated_at: nowIso() };
    await vaults.putVault(next);
    return c.json(vaultWire(next));
  });
  app.delete('/:id', async (c) => {
    const vault = await requireVault(c.req.param('id'));
    await vaults.deleteVault(vault.id);
    return c.json({ id: vault.id, type: 'vault_deleted' });
  });

  app.post('/:id/credentials', async (c) => {
    const vault = await requireVault(c.req.param('id'));
    if (vault.archived_at) throw badRequest(`Vault ${vault.id} is archived; credentials cannot be added.`);
    const body = parseWith(
      z.object({ auth: AuthCreate, display_name: z.string().nullish(), metadata: Metadata.optional() }),
      await readJson(c),
    );
    const { auth, secret } = splitAuth(body.auth);
    const now = nowIso();
    const credential: CredentialRecord = {
      id: resourceId('vcrd'),
      vault_id: vault.id,
      display_name: body.display_name ?? null,
      metadata: body.metadata ?? {},
      auth,
      created_at: now,
      updated_at: now,
      archived_at: null,
    };
    await vaults.putCredential(credential, secret);
    deps.logger.info(
      { vaultId: vault.id, credentialId: credential.id, type: auth.type },
      'credential stored',
    );
    return c.json(credentialWire(credential));
  });
  app.get('/:id/credentials', async (c) => {
    const vault = await requireVault(c.req.param('id'));
    const q = listQuery(c.req.query());
    const all = (await vaults.listCredentials(vault.id))
      .filter((x) => q.include_archived || !x.archived_at)
      .map(credentialWire);
    const result = paginate(all, q.limit, q.page);
    return c.json({ data: result.data, next_page: result.next_page });
  });
  app.get('/:id/credentials/:cid', async (c) =>
    c.json(credentialWire(await requireCredential(c.req.param('id'), c.req.param('cid')))),
  );
  app.post('/:id/credentials/:cid', async (c) => {
    const credential = await requireCredential(c.req.param('id'), c.req.param('cid'));
    const body = parseWith(
      z.object({ auth: AuthUpdate.optional(), display_name: z.string().nullish(), metadata: MetadataPatch }),
      await readJson(c),
    );
    let secret: CredentialSecret | undefined;
    let auth = credential.auth;
    if (body.auth) {
      if (body.auth.type !== auth.type)
        throw badRequest(`auth.type: this credential is ${auth.type}; its type cannot change.`);
      if (body.auth.type === 'environment_variable' && auth.type === 'environment_variable') {
        if (body.auth.secret_value) secret = { secret_value: body.auth.secret_value };
        auth = {
          ...auth,
          networking: body.auth.networking ?? auth.networking,
          injection_location: { ...auth.injection_location, ...body.auth.injection_location },
        };
      } else if (body.auth.type === 'static_bearer') {
        if (body.auth.token) secret = { token: body.auth.token };
      } else if (body.auth.type === 'mcp_oauth' && auth.type === 'mcp_oauth') {
        const rotated: CredentialSecret = {};
        if (body.auth.access_token) rotated.access_token = body.auth.access_token;
        if (body.auth.expires_at !== undefined) auth = { ...auth, expires_at: body.auth.expires_at };
        const refresh = body.auth.refresh;
        if (refresh) {
          if (!auth.refresh)
            throw badRequest(
              'auth.refresh: this credential has no refresh configuration; create a new credential with one.',
            );
          if (refresh.refresh_token) rotated.refresh_token = refresh.refresh_token;
          if (refresh.token_endpoint_auth?.client_secret)
            rotated.client_secret = refresh.token_endpoint_auth.client_secret;
          const scope = refresh.scope === '' ? null : (refresh.scope ?? auth.refresh.scope);
          auth = {
            ...auth,
            refresh: {
              ...auth.refresh,
              scope: scope ?? null,
              ...(refresh.token_endpoint_auth
                ? { token_endpoint_auth: { type: refresh.token_endpoint_auth.type } }
                : {}),
            },
          };
        }
        if (Object.keys(rotated).length > 0) secret = rotated;
      }
    }
    const next: CredentialRecord = {
      ...credential,
      auth,
      display_name: body.display_name === undefined ? credential.display_name : body.display_name,
      metadata: patchMetadata(credential.metadata, body.metadata),
      updated_at: nowIso(),
    };
    await vaults.putCredential(next, secret);
    return c.json(credentialWire(next));
  });
  app.post('/:id/credentials/:cid/archive', async (c) => {
    const credential = await requireCredential(c.req.param('id'), c.req.param('cid'));
    const next = { ...credential, archived_at: credential.archived_at ?? nowIso(), updated_at: nowIso() };
    await vaults.putCredential(next);
    return c.json(credentialWire(next));
  });
  app.delete('/:id/credentials/:cid', async (c) => {
    const credential = await requireCredential(c.req.param('id'), c.req.param('cid'));
    await vaults.deleteCredential(credential.vault_id, credential.id);
    return c.json({ id: credential.id, type: 'vault_credential_deleted' });
  });
  app.post('/:id/credentials/:cid/mcp_oauth_validate', () => {
    throw notSupported('mcp_oauth_validate');
  });

  return app;
}
