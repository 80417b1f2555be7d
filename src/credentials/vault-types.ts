/**
 * The vault port. The API stores vaults and credentials through it; the harness and the egress
 * proxy read secrets through `getSecret`. Secrets never leave through the API.
 */

export interface VaultRecord {
  id: string;
  display_name: string;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

/** The non-secret part of a credential's `auth`, exactly as the API returns it. */
export type CredentialAuth =
  | {
      type: 'environment_variable';
      /** The variable the sandbox sees (holding only a placeholder). */
      secret_name: string;
      networking: { type: 'unrestricted' } | { type: 'limited'; allowed_hosts: string[] };
      injection_location: { header: boolean; body: boolean };
    }
  | { type: 'static_bearer'; mcp_server_url: string }
  | {
      type: 'mcp_oauth';
      mcp_server_url: string;
      expires_at?: string | null;
      refresh?: {
        client_id: string;
        token_endpoint: string;
        token_endpoint_auth: { type: 'none' | 'client_secret_basic' | 'client_secret_post' };
        resource?: string | null;
        scope?: string | null;
      } | null;
    };

/**
 * The secret fields of a credential, by wire name: `secret_value` (environment_variable),
 * `token` (static_bearer), `access_token` / `refresh_token` / `client_secret` (mcp_oauth).
 */
export type CredentialSecret = Record<string, string>;

export interface CredentialRecord {
  id: string;
  vault_id: string;
  display_name: string | null;
  metadata: Record<string, string>;
  auth: CredentialAuth;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

/**
 * Contract:
 * - `put*` replaces the record; `putCredential` with `secret` undefined keeps the stored secret,
 *   with a secret merges its fields over the stored ones.
 * - `list*` return records in creation order; `deleteVault` also deletes its credentials and
 *   their secrets.
 * - `getSecret` is for harness-side injection only; nothing the API returns ever includes it.
 *   Implementations may encrypt at rest; the records themselves hold no secret.
 */
export interface VaultStore {
  putVault(vault: VaultRecord): Promise<void>;
  getVault(id: string): Promise<VaultRecord | undefined>;
  listVaults(): Promise<VaultRecord[]>;
  deleteVault(id: string): Promise<void>;
  putCredential(credential: CredentialRecord, secret?: CredentialSecret): Promise<void>;
  getCredential(vaultId: string, id: string): Promise<CredentialRecord | undefined>;
  listCredentials(vaultId: string): Promise<CredentialRecord[]>;
  deleteCredential(vaultId: string, id: string): Promise<void>;
  getSecret(vaultId: string, credentialId: string): Promise<CredentialSecret | undefined>;
}
