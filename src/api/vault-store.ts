import type {
  CredentialRecord,
  CredentialSecret,
  VaultRecord,
  VaultStore,
} from '../credentials/vault-types.js';
import type { ResourceStore } from '../store/types.js';

const VAULT = 'vault';
const CREDENTIAL = 'vault_credential';
const SECRET = 'vault_secret';
const key = (vaultId: string, id: string) => `${vaultId}/${id}`;

/**
 * A VaultStore over the ResourceStore. Secrets are kept apart from the records but NOT
 * encrypted: the credentials module replaces this with an encrypting store.
 */
export function createPlainVaultStore(resources: ResourceStore): VaultStore {
  return {
    putVault: (vault) => resources.put(VAULT, vault.id, vault),
    getVault: (id) => resources.get<VaultRecord>(VAULT, id),
    listVaults: () => resources.list<VaultRecord>(VAULT),
    async deleteVault(id) {
      for (const credential of await this.listCredentials(id)) await this.deleteCredential(id, credential.id);
      await resources.delete(VAULT, id);
    },
    async putCredential(credential, secret) {
      if (secret) {
        const stored =
          (await resources.get<CredentialSecret>(SECRET, key(credential.vault_id, credential.id))) ?? {};
        await resources.put(SECRET, key(credential.vault_id, credential.id), { ...stored, ...secret });
      }
      await resources.put(CREDENTIAL, key(credential.vault_id, credential.id), credential);
    },
    getCredential: (vaultId, id) => resources.get<CredentialRecord>(CREDENTIAL, key(vaultId, id)),
    async listCredentials(vaultId) {
      return (await resources.list<CredentialRecord>(CREDENTIAL)).filter((c) => c.vault_id === vaultId);
    },
    async deleteCredential(vaultId, id) {
      await resources.delete(SECRET, key(vaultId, id));
      await resources.delete(CREDENTIAL, key(vaultId, id));
    },
    getSecret: (vaultId, id) => resources.get<CredentialSecret>(SECRET, key(vaultId, id)),
  };
}
