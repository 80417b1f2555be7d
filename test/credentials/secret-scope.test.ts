/**
 * `vault:` references (MCP headers) resolve only from the vaults a session may use: the ones it
 * names (session, agent, environment), or `default` when it names none — the same rule as for
 * the credentials injected into its sandbox.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { createCredentialBroker, createEncryptedVaultStore } from '../../src/credentials/index.js';
import { silentLogger } from '../../src/logging.js';
import { createSqliteStores } from '../../src/store/sqlite/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

it('a session resolves references only in its own vaults; default only when it names none', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'threadhand-scope-'));
  dirs.push(dir);
  const stores = createSqliteStores({ dir });
  const key = Buffer.alloc(32, 7);
  const vaults = createEncryptedVaultStore(stores.resources, key);
  const at = new Date().toISOString();
  for (const [id, name, secret] of [
    ['vlt_d', 'default', 'sd'],
    ['vlt_w', 'work', 'sw'],
    ['vlt_o', 'other', 'so'],
  ] as const) {
    await vaults.putVault({
      id,
      display_name: name,
      metadata: {},
      created_at: at,
      updated_at: at,
      archived_at: null,
    });
    await vaults.putCredential(
      {
        id: `vcrd_${name}`,
        vault_id: id,
        display_name: null,
        metadata: {},
        auth: {
          type: 'environment_variable',
          secret_name: 'TOKEN',
          networking: { type: 'unrestricted' },
          injection_location: { header: true, body: false },
        },
        created_at: at,
        updated_at: at,
        archived_at: null,
      },
      { secret_value: secret },
    );
  }
  const broker = createCredentialBroker({ vaults, secretKey: key, logger: silentLogger() });
  const none = { session: { id: 's1' } };
  const work = { session: { id: 's2' }, agent: { vaults: ['work'] } };
  expect(await broker.resolveSecret('vault:default/TOKEN', none)).toBe('sd');
  expect(await broker.resolveSecret('vault:work/TOKEN', none)).toBeUndefined();
  expect(await broker.resolveSecret('vault:work/TOKEN', work)).toBe('sw');
  expect(await broker.resolveSecret('vault:other/TOKEN', work)).toBeUndefined();
  // Naming vaults replaces the default, for references as for injection.
  expect(await broker.resolveSecret('vault:default/TOKEN', work)).toBeUndefined();
  expect(
    await broker.resolveSecret('vault:vlt_o/TOKEN', { session: { id: 's3', vault_ids: ['vlt_o'] } }),
  ).toBe('so');
  await stores.close();
});
