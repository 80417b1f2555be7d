/**
 * The VaultStore used by Threadhand: records as the API's plain store keeps them, secrets
 * encrypted with AES-256-GCM (a fresh IV per write, the credential's `vault/id` as associated
 * data so a ciphertext cannot be moved to another credential).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ResourceStore } from '../store/types.js';
import type { CredentialRecord, CredentialSecret, VaultRecord, VaultStore } from './vault-types.js';

const VAULT = 'vault';
const CREDENTIAL = 'vault_credential';
const SECRET = 'vault_secret';
const keyOf = (vaultId: string, id: string) => `${vaultId}/${id}`;

interface Sealed {
  alg: 'aes-256-gcm';
  iv: string;
  tag: string;
  data: string;
}

export function sealSecret(secretKey: Buffer, aad: string, secret: CredentialSecret): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secretKey, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(JSON.stringify(secret), 'utf8'), cipher.final()]);
  return {
    alg: 'aes-256-gcm',
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
}

export function openSecret(secretKey: Buffer, aad: string, sealed: Sealed): CredentialSecret {
  const decipher = createDecipheriv('aes-256-gcm', secretKey, Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  try {
    const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as CredentialSecret;
  } catch {
    const error = new Error(
      `Cannot decrypt the secret of credential ${aad}: THREADHAND_SECRET_KEY (or <dataDir>/secret.key) is not the key it was stored with.`,
    );
    (error as Error & { code: string }).code = 'vault_key_mismatch';
    throw error;
  }
}

const isSealed = (value: unknown): value is Sealed =>
  typeof value === 'object' && value !== null && (value as Sealed).alg === 'aes-256-gcm';

/**
 * Contract: see `VaultStore`; `key` is 32 bytes (`loadSecretKey`), or a function giving it,
 * called only when a secret is first read or written (no key file for installs without vaults).
 */
export function createEncryptedVaultStore(
  resources: ResourceStore,
  key: Buffer | (() => Buffer),
): VaultStore {
  let loaded: Buffer | undefined = typeof key === 'function' ? undefined : key;
  const secretKey = (): Buffer => {
    loaded ??= (key as () => Buffer)();
    return loaded;
  };
  async function readSecret(vaultId: string, id: string): Promise<CredentialSecret | undefined> {
    const stored = await resources.get<unknown>(SECRET, keyOf(vaultId, id));
    if (stored === undefined) return undefined;
    // Secrets written by the API's plain store before encryption was wired are read as they are
    // and sealed on their next write.
    return isSealed(stored)
      ? openSecret(secretKey(), keyOf(vaultId, id), stored)
      : (stored as CredentialSecret);
  }
  const store: VaultStore = {
    putVault: (vault) => resources.put(VAULT, vault.id, vault),
    getVault: (id) => resources.get<VaultRecord>(VAULT, id),
    listVaults: () => resources.list<VaultRecord>(VAULT),
    async deleteVault(id) {
      for (const credential of await store.listCredentials(id))
        await store.deleteCredential(id, credential.id);
      await resources.delete(VAULT, id);
    },
    async putCredential(credential, secret) {
      const k = keyOf(credential.vault_id, credential.id);
      if (secret) {
        const merged = { ...((await readSecret(credential.vault_id, credential.id)) ?? {}), ...secret };
        await resources.put(SECRET, k, sealSecret(secretKey(), k, merged));
      }
      await resources.put(CREDENTIAL, k, credential);
    },
    getCredential: (vaultId, id) => resources.get<CredentialRecord>(CREDENTIAL, keyOf(vaultId, id)),
    async listCredentials(vaultId) {
      return (await resources.list<CredentialRecord>(CREDENTIAL)).filter((c) => c.vault_id === vaultId);
    },
    async deleteCredential(vaultId, id) {
      await resources.delete(SECRET, keyOf(vaultId, id));
      await resources.delete(CREDENTIAL, keyOf(vaultId, id));
    },
    getSecret: readSecret,
  };
  return store;
}
