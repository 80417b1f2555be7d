import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createCredentialBroker,
  createEncryptedVaultStore,
  type InjectableCredential,
  injectCredentials,
  loadSecretKey,
  placeholderFor,
} from '../../src/credentials/index.js';
import type { CredentialRecord, VaultRecord } from '../../src/credentials/vault-types.js';
import { silentLogger } from '../../src/logging.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';
import { startTestThreadhand } from '../helpers/threadhand.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'threadhand-vault-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const now = new Date().toISOString();
const vault = (id: string, name: string): VaultRecord => ({
  id,
  display_name: name,
  metadata: {},
  created_at: now,
  updated_at: now,
  archived_at: null,
});
const envCredential = (
  vaultId: string,
  id: string,
  secretName: string,
  hosts: string[] | undefined,
  body = false,
): CredentialRecord => ({
  id,
  vault_id: vaultId,
  display_name: null,
  metadata: {},
  auth: {
    type: 'environment_variable',
    secret_name: secretName,
    networking: hosts ? { type: 'limited', allowed_hosts: hosts } : { type: 'unrestricted' },
    injection_location: { header: true, body },
  },
  created_at: now,
  updated_at: now,
  archived_at: null,
});

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

describe('secret key', () => {
  it('is generated once into <dataDir>/secret.key (0600) with a warning; THREADHAND_SECRET_KEY wins', () => {
    const dir = tempDir();
    const log = capture();
    const first = loadSecretKey({ env: {}, dataDir: dir, logger: log.logger });
    expect(statSync(join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(log.text()).toContain('THREADHAND_SECRET_KEY is not set');
    expect(loadSecretKey({ env: {}, dataDir: dir, logger: silentLogger() })).toEqual(first);
    const fromEnv = loadSecretKey({
      env: { THREADHAND_SECRET_KEY: 'x'.repeat(40) },
      dataDir: dir,
      logger: silentLogger(),
    });
    expect(fromEnv).not.toEqual(first);
    expect(fromEnv.length).toBe(32);
  });
});

describe('encrypted vault store', () => {
  it('stores secrets sealed (not on disk in plain text), reads them back, refuses a wrong key', async () => {
    const dir = tempDir();
    const stores = createSqliteStores({ dir });
    const key = loadSecretKey({
      env: { THREADHAND_SECRET_KEY: 'k'.repeat(32) },
      dataDir: dir,
      logger: silentLogger(),
    });
    const vaults = createEncryptedVaultStore(stores.resources, key);
    await vaults.putVault(vault('vlt_1', 'default'));
    await vaults.putCredential(envCredential('vlt_1', 'vcrd_1', 'API_TOKEN', ['api.example.com']), {
      secret_value: 'very-secret-value-123',
    });
    expect(await vaults.getSecret('vlt_1', 'vcrd_1')).toEqual({ secret_value: 'very-secret-value-123' });
    const raw = await stores.resources.get<Record<string, string>>('vault_secret', 'vlt_1/vcrd_1');
    expect(raw?.alg).toBe('aes-256-gcm');
    expect(JSON.stringify(raw)).not.toContain('very-secret-value-123');
    // Updating the record without a secret keeps it.
    await vaults.putCredential(envCredential('vlt_1', 'vcrd_1', 'API_TOKEN', ['other.example.com']));
    expect(await vaults.getSecret('vlt_1', 'vcrd_1')).toEqual({ secret_value: 'very-secret-value-123' });
    // A ciphertext moved to another credential does not open (associated data).
    await stores.resources.put('vault_secret', 'vlt_1/vcrd_2', raw);
    await expect(vaults.getSecret('vlt_1', 'vcrd_2')).rejects.toThrow(/not the key/);
    const wrong = createEncryptedVaultStore(stores.resources, Buffer.alloc(32, 7));
    await expect(wrong.getSecret('vlt_1', 'vcrd_1')).rejects.toMatchObject({ code: 'vault_key_mismatch' });
    await stores.close();
    for (const file of ['threadhand.db', 'threadhand.db-wal']) {
      try {
        expect(readFileSync(join(dir, file)).includes('very-secret-value-123')).toBe(false);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
  });

  it('the HTTP API stores credentials through it (secret_value never returned, sealed at rest)', async () => {
    const dir = tempDir();
    const t = await startTestThreadhand({ dataDir: dir, env: {} });
    try {
      const post = (path: string, body: unknown) =>
        t.th.app.request(`/v1${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const created = (await (await post('/vaults', { display_name: 'default' })).json()) as { id: string };
      const credential = await post(`/vaults/${created.id}/credentials`, {
        auth: {
          type: 'environment_variable',
          secret_name: 'GITHUB_TOKEN',
          secret_value: 'ghp_from_the_api_0001',
          networking: { type: 'limited', allowed_hosts: ['api.github.com'] },
        },
      });
      const text = await credential.text();
      expect(credential.status).toBe(200);
      expect(text).not.toContain('ghp_from_the_api_0001');
      const secrets = await t.th.stores.resources.list<Record<string, string>>('vault_secret');
      expect(secrets.map((s) => s.alg)).toEqual(['aes-256-gcm']);
      expect(JSON.stringify(secrets)).not.toContain('ghp_from_the_api_0001');
      const session = { id: 'sesn_api', vault_ids: [] };
      expect(await t.th.credentials.forSession({ session })).toMatchObject([
        {
          secretName: 'GITHUB_TOKEN',
          secretValue: 'ghp_from_the_api_0001',
          allowedHosts: ['api.github.com'],
        },
      ]);
    } finally {
      await t.close();
    }
  });
});

describe('credential broker', () => {
  async function setup() {
    const dir = tempDir();
    const stores = createSqliteStores({ dir });
    const key = Buffer.alloc(32, 1);
    const vaults = createEncryptedVaultStore(stores.resources, key);
    await vaults.putVault(vault('vlt_d', 'default'));
    await vaults.putVault(vault('vlt_w', 'work'));
    await vaults.putCredential(envCredential('vlt_d', 'vcrd_d', 'DEFAULT_TOKEN', ['a.example']), {
      secret_value: 'sd',
    });
    await vaults.putCredential(envCredential('vlt_w', 'vcrd_w', 'WORK_TOKEN', ['b.example']), {
      secret_value: 'sw',
    });
    return {
      stores,
      key,
      broker: createCredentialBroker({ vaults, secretKey: key, logger: silentLogger() }),
    };
  }

  it('uses the default vault when none is named, else the session, agent and environment vaults', async () => {
    const { stores, key, broker } = await setup();
    const names = async (scope: Parameters<typeof broker.forSession>[0]) =>
      (await broker.forSession(scope)).map((c) => c.secretName);
    expect(await names({ session: { id: 's1' } })).toEqual(['DEFAULT_TOKEN']);
    expect(await names({ session: { id: 's2', vault_ids: ['vlt_w'] } })).toEqual(['WORK_TOKEN']);
    expect(await names({ session: { id: 's3' }, agent: { vaults: ['work'] } })).toEqual(['WORK_TOKEN']);
    expect(await names({ session: { id: 's4' }, environment: { vaults: ['work', 'default'] } })).toEqual([
      'WORK_TOKEN',
      'DEFAULT_TOKEN',
    ]);
    const [c] = broker.get('s1');
    expect(c?.placeholder).toBe(placeholderFor(key, 's1', 'vcrd_d'));
    expect(placeholderFor(key, 's1', 'vcrd_d')).not.toBe(placeholderFor(key, 's2', 'vcrd_d'));
    expect(await broker.resolveSecret('vault:work/WORK_TOKEN')).toBe('sw');
    expect(await broker.resolveSecret('vault:vlt_d/DEFAULT_TOKEN')).toBe('sd');
    expect(await broker.resolveSecret('vault:work/NOPE')).toBeUndefined();
    await stores.close();
  });
});

describe('injectCredentials', () => {
  const credential = (over: Partial<InjectableCredential> = {}): InjectableCredential => ({
    credentialId: 'vcrd_1',
    vaultId: 'vlt_1',
    secretName: 'TOKEN',
    placeholder: 'threadhand-placeholder-abc',
    allowedHosts: ['api.example.com'],
    header: true,
    body: false,
    secretValue: 'REAL',
    ...over,
  });
  const request = (over: Partial<Parameters<typeof injectCredentials>[1]> = {}) => ({
    host: 'api.example.com',
    port: 443,
    path: '/',
    headers: { authorization: 'Bearer threadhand-placeholder-abc' },
    ...over,
  });

  it('swaps headers for allowed hosts and refuses other hosts', () => {
    const ok = injectCredentials([credential()], request());
    expect(ok).toMatchObject({ ok: true, headers: { authorization: 'Bearer REAL' }, injected: ['TOKEN'] });
    const denied = injectCredentials([credential()], request({ host: 'evil.example' }));
    expect(denied).toMatchObject({ ok: false, secretName: 'TOKEN' });
    if (!denied.ok) expect(denied.reason).not.toContain('REAL');
    expect(
      injectCredentials([credential({ allowedHosts: undefined })], request({ host: 'any.example' })).ok,
    ).toBe(true);
  });

  it('bodies only when allowed; never in the URL', () => {
    const body = Buffer.from('{"token":"threadhand-placeholder-abc"}');
    expect(injectCredentials([credential()], request({ headers: {}, body })).ok).toBe(false);
    const allowed = injectCredentials([credential({ body: true })], request({ headers: {}, body }));
    expect(allowed.ok && allowed.body?.toString()).toBe('{"token":"REAL"}');
    expect(
      injectCredentials([credential()], request({ headers: {}, path: '/?t=threadhand-placeholder-abc' })).ok,
    ).toBe(false);
    expect(injectCredentials([credential({ header: false, body: true })], request()).ok).toBe(false);
  });
});

describe('sandbox credentials', () => {
  it('adds placeholders and trust variables to exec, writes the CA bundle once, proxies unrestricted when asked', async () => {
    const { createSandboxCredentials, SANDBOX_CA_BUNDLE } = await import('../../src/credentials/index.js');
    const { createCaCertificate, createCertificateAuthority } = await import('../../src/credentials/ca.js');
    const { EnvironmentConfig } = await import('../../src/config/schema.js');
    const dir = tempDir();
    const stores = createSqliteStores({ dir });
    const vaults = createEncryptedVaultStore(stores.resources, Buffer.alloc(32, 2));
    const broker = createCredentialBroker({ vaults, secretKey: Buffer.alloc(32, 2), logger: silentLogger() });
    const ca = createCertificateAuthority(createCaCertificate('test'));
    const environment = EnvironmentConfig.parse({ name: 'default' });
    const forced = createSandboxCredentials({ broker, ca, forceProxy: true });
    // No credentials: nothing changes.
    const none = await forced.prepare({ session: { id: 's1' }, environment });
    expect(none.environment).toBe(environment);

    await vaults.putVault(vault('vlt_d', 'default'));
    await vaults.putCredential(envCredential('vlt_d', 'vcrd_d', 'TOKEN', ['a.example']), {
      secret_value: 'real',
    });
    const prepared = await forced.prepare({ session: { id: 's1' }, environment });
    expect(prepared.environment.networking).toMatchObject({ type: 'limited', allowed_hosts: ['*'] });
    expect(
      (await createSandboxCredentials({ broker, ca }).prepare({ session: { id: 's1' }, environment }))
        .environment,
    ).toBe(environment);

    const files = new Map<string, string>();
    const envs: Record<string, string>[] = [];
    const sandbox = {
      id: 'fake',
      exec: async (_command: string, options?: { env?: Record<string, string> }) => {
        envs.push(options?.env ?? {});
        return {
          exitCode: 0,
          stdout: '',
          stderr: '',
          timedOut: false,
          aborted: false,
          truncated: false,
          durationMs: 0,
        };
      },
      readFile: async (path: string) => Buffer.from(files.get(path) ?? ''),
      writeFile: async (path: string, data: string | Buffer) => void files.set(path, String(data)),
      list: async () => [],
      pause: async () => undefined,
      resume: async () => undefined,
      destroy: async () => undefined,
      counters: () => ({ provisions: 1, activeSeconds: 0 }),
    };
    const wrapped = await prepared.wrap(sandbox);
    await prepared.wrap(sandbox);
    await wrapped.exec('true', { env: { TOKEN: 'overridden?' } });
    expect(files.get(SANDBOX_CA_BUNDLE)).toContain(ca.certPem.trim());
    expect(envs[0]?.TOKEN).toBe(placeholderFor(Buffer.alloc(32, 2), 's1', 'vcrd_d'));
    expect(envs[0]?.GIT_SSL_CAINFO).toBe(SANDBOX_CA_BUNDLE);
    expect(JSON.stringify(envs)).not.toContain('real');
    await stores.close();
  });
});
