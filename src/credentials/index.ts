/** Credentials: vaults (encrypted at rest), placeholders in sandboxes, injection at the egress proxy. */
export {
  type CertificateAuthority,
  createCaCertificate,
  createCertificateAuthority,
  createLeafCertificate,
  loadOrCreateCa,
  systemCaBundle,
} from './ca.js';
export { createEncryptedVaultStore } from './encrypted-vault-store.js';
export { injectCredentials } from './inject.js';
export { type CredentialInjector, createCredentialInjector } from './proxy-inject.js';
export {
  createSandboxCredentials,
  proxiedEnvironment,
  SANDBOX_CA_BUNDLE,
  type SandboxCredentials,
  trustEnv,
  withEnv,
} from './sandbox-credentials.js';
export { loadSecretKey } from './secret-key.js';
export {
  type CredentialBroker,
  createCredentialBroker,
  DEFAULT_VAULT,
  type InjectableCredential,
  placeholderFor,
  type SessionScope,
} from './session-credentials.js';
export type { CredentialRecord, CredentialSecret, VaultRecord, VaultStore } from './vault-types.js';
