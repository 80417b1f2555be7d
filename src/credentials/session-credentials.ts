/**
 * Which credentials a session gets, and the placeholders its sandbox sees instead of them.
 *
 * Vaults come from the session's `vault_ids`, the agent's and the environment's `vaults:`
 * (ids or display names); when none is named, the vault named `default` (if any) applies.
 * Placeholders are derived from the secret key, the session and the credential, so they are
 * stable across wakes and restarts (files in the workspace keep working) yet unique per
 * credential and session, and say nothing about the secret.
 */
import { createHmac } from 'node:crypto';
import type { AgentConfig, EnvironmentConfig } from '../config/schema.js';
import type { Logger } from '../logging.js';
import type { CredentialRecord, VaultRecord, VaultStore } from './vault-types.js';

export const DEFAULT_VAULT = 'default';
export const PLACEHOLDER_PREFIX = 'threadhand-placeholder-';

/** One `environment_variable` credential, ready for the proxy. Holds the secret: never log it. */
export interface InjectableCredential {
  credentialId: string;
  vaultId: string;
  secretName: string;
  placeholder: string;
  /** `undefined` = any host (`networking: unrestricted`). */
  allowedHosts: string[] | undefined;
  header: boolean;
  body: boolean;
  readonly secretValue: string;
}

export interface SessionScope {
  session: { id: string; vault_ids?: string[] };
  agent?: Pick<AgentConfig, 'vaults'>;
  environment?: Pick<EnvironmentConfig, 'vaults'>;
}

/** Contract: `forSession` loads and remembers a session's credentials; `get` is what the proxy reads. */
export interface CredentialBroker {
  forSession(scope: SessionScope): Promise<InjectableCredential[]>;
  /** The credentials last loaded for a session (empty when none). */
  get(sessionId: string): readonly InjectableCredential[];
  forget(sessionId: string): void;
  /** `vault:<vault>/<SECRET_NAME>` -> the secret (MCP headers); `undefined` when unknown. */
  resolveSecret(reference: string, scope?: SessionScope): Promise<string | undefined>;
}

export interface CredentialBrokerOptions {
  vaults: VaultStore;
  /** The vault key, or a function giving it (called only once a credential is loaded). */
  secretKey: Buffer | (() => Buffer);
  logger: Logger;
}

export function placeholderFor(secretKey: Buffer, sessionId: string, credentialId: string): string {
  const mac = createHmac('sha256', secretKey)
    .update(`placeholder:${sessionId}:${credentialId}`)
    .digest('hex');
  return `${PLACEHOLDER_PREFIX}${mac.slice(0, 40)}`;
}

export function createCredentialBroker(options: CredentialBrokerOptions): CredentialBroker {
  const { vaults, logger } = options;
  const bySession = new Map<string, InjectableCredential[]>();
  const secretKey = (): Buffer =>
    typeof options.secretKey === 'function' ? options.secretKey() : options.secretKey;

  async function findVault(ref: string, all: VaultRecord[]): Promise<VaultRecord | undefined> {
    const live = all.filter((v) => !v.archived_at);
    return live.find((v) => v.id === ref) ?? live.find((v) => v.display_name === ref);
  }

  async function vaultsFor(scope: SessionScope | undefined): Promise<VaultRecord[]> {
    const all = await vaults.listVaults();
    const named = [
      ...(scope?.session.vault_ids ?? []),
      ...(scope?.agent?.vaults ?? []),
      ...(scope?.environment?.vaults ?? []),
    ];
    const refs = named.length > 0 ? [...new Set(named)] : [DEFAULT_VAULT];
    const found: VaultRecord[] = [];
    for (const ref of refs) {
      const vault = await findVault(ref, all);
      if (vault) {
        if (!found.some((v) => v.id === vault.id)) found.push(vault);
      } else if (named.length > 0) {
        logger.warn(
          { sessionId: scope?.session.id, vault: ref },
          'vault not found; its credentials are not available',
        );
      }
    }
    return found;
  }

  async function load(vault: VaultRecord, credential: CredentialRecord, sessionId: string) {
    if (credential.archived_at || credential.auth.type !== 'environment_variable') return undefined;
    const secret = await vaults.getSecret(vault.id, credential.id);
    const value = secret?.secret_value;
    if (!value) return undefined;
    const { auth } = credential;
    const injectable: InjectableCredential = {
      credentialId: credential.id,
      vaultId: vault.id,
      secretName: auth.secret_name,
      placeholder: placeholderFor(secretKey(), sessionId, credential.id),
      allowedHosts: auth.networking.type === 'limited' ? [...auth.networking.allowed_hosts] : undefined,
      header: auth.injection_location.header,
      body: auth.injection_location.body,
      secretValue: value,
    };
    return injectable;
  }

  return {
    async forSession(scope) {
      const result: InjectableCredential[] = [];
      for (const vault of await vaultsFor(scope)) {
        for (const credential of await vaults.listCredentials(vault.id)) {
          const injectable = await load(vault, credential, scope.session.id);
          // The first vault named wins when two define the same variable.
          if (injectable && !result.some((c) => c.secretName === injectable.secretName))
            result.push(injectable);
        }
      }
      bySession.set(scope.session.id, result);
      return result;
    },
    get: (sessionId) => bySession.get(sessionId) ?? [],
    forget: (sessionId) => void bySession.delete(sessionId),
    async resolveSecret(reference, scope) {
      const match = /^vault:([^/]+)\/(.+)$/.exec(reference.trim());
      if (!match) return undefined;
      const [, vaultRef = '', secretName] = match;
      const vault = await findVault(vaultRef, await vaults.listVaults());
      if (!vault) return undefined;
      if (scope) {
        // Session-scoped lookups only see the vaults the session was given (`default` when
        // none is named), as for the credentials injected into its sandbox.
        const allowed = await vaultsFor(scope);
        if (!allowed.some((v) => v.id === vault.id)) return undefined;
      }
      for (const credential of await vaults.listCredentials(vault.id)) {
        if (credential.archived_at) continue;
        const secret = await vaults.getSecret(vault.id, credential.id);
        if (credential.auth.type === 'environment_variable' && credential.auth.secret_name === secretName)
          return secret?.secret_value;
        if (credential.auth.type === 'static_bearer' && credential.display_name === secretName)
          return secret?.token;
      }
      return undefined;
    },
  };
}
