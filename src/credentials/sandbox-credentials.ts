/**
 * What a session's sandbox sees of its credentials: placeholders in `$SECRET_NAME`, the
 * Threadhand CA trusted by the usual TLS stacks, and (for `unrestricted` environments) the
 * egress proxy as the only way out, so secrets can only leave through the proxy.
 *
 * The sandbox port is wrapped rather than changed: `exec` gets the variables added to its
 * `env`, which every provider already honours.
 */
import type { EnvironmentConfig } from '../config/schema.js';
import type { Sandbox } from '../sandbox/types.js';
import { type CertificateAuthority, systemCaBundle } from './ca.js';
import type { CredentialBroker, InjectableCredential, SessionScope } from './session-credentials.js';

/** Where the CA bundle (system CAs + Threadhand's) is written inside the sandbox. */
export const SANDBOX_CA_BUNDLE = '/tmp/.threadhand/ca-bundle.pem';

/** Variables that make curl, git, OpenSSL, Node, npm, Python requests and pip trust the bundle. */
export function trustEnv(bundlePath = SANDBOX_CA_BUNDLE): Record<string, string> {
  return {
    SSL_CERT_FILE: bundlePath,
    CURL_CA_BUNDLE: bundlePath,
    NODE_EXTRA_CA_CERTS: bundlePath,
    // npm ignores NODE_EXTRA_CA_CERTS once an npmrc sets `cafile` (Debian-style installs ship
    // /usr/etc/npmrc with the system bundle); the environment outranks every npmrc.
    NPM_CONFIG_CAFILE: bundlePath,
    REQUESTS_CA_BUNDLE: bundlePath,
    PIP_CERT: bundlePath,
    GIT_SSL_CAINFO: bundlePath,
  };
}

/** `unrestricted` becomes "every host, through the proxy"; `limited` already is proxied. */
export function proxiedEnvironment(environment: EnvironmentConfig): EnvironmentConfig {
  if (environment.networking.type !== 'unrestricted') return environment;
  return {
    ...environment,
    networking: {
      type: 'limited',
      allowed_hosts: ['*'],
      allow_mcp_servers: false,
      allow_package_managers: false,
    },
  };
}

export interface PreparedSession {
  credentials: readonly InjectableCredential[];
  /** The environment to provision the sandbox with. */
  environment: EnvironmentConfig;
  /** The sandbox as tools should see it (unchanged when the session has no credentials). */
  wrap(sandbox: Sandbox): Promise<Sandbox>;
}

export interface SandboxCredentials {
  prepare(scope: SessionScope & { environment: EnvironmentConfig }): Promise<PreparedSession>;
}

export function createSandboxCredentials(options: {
  broker: CredentialBroker;
  ca: CertificateAuthority;
  /**
   * Route `unrestricted` environments of sessions with credentials through the proxy. Needed
   * when the provider puts unrestricted sandboxes on the host network (`THREADHAND_SANDBOX_NETWORK=host`);
   * by default they already go through it.
   */
  forceProxy?: boolean;
}): SandboxCredentials {
  let bundle: string | undefined;
  // Sandboxes (by id) whose bundle this process has written.
  const written = new WeakSet<Sandbox>();
  return {
    async prepare(scope) {
      const credentials = await options.broker.forSession(scope);
      if (credentials.length === 0) {
        return { credentials, environment: scope.environment, wrap: async (sandbox) => sandbox };
      }
      const env: Record<string, string> = { ...trustEnv() };
      for (const c of credentials) env[c.secretName] = c.placeholder;
      return {
        credentials,
        environment: options.forceProxy ? proxiedEnvironment(scope.environment) : scope.environment,
        async wrap(sandbox) {
          if (!written.has(sandbox)) {
            bundle ??= `${systemCaBundle().trimEnd()}\n${options.ca.certPem}`;
            await sandbox.writeFile(SANDBOX_CA_BUNDLE, bundle);
            written.add(sandbox);
          }
          return withEnv(sandbox, env);
        },
      };
    },
  };
}

/** The sandbox with `env` added to every `exec` (the command's own `env` cannot override it). */
export function withEnv(sandbox: Sandbox, env: Record<string, string>): Sandbox {
  return {
    get id() {
      return sandbox.id;
    },
    exec: (command, execOptions) =>
      sandbox.exec(command, { ...execOptions, env: { ...execOptions?.env, ...env } }),
    readFile: (path) => sandbox.readFile(path),
    writeFile: (path, data) => sandbox.writeFile(path, data),
    list: (path) => sandbox.list(path),
    pause: () => sandbox.pause(),
    resume: () => sandbox.resume(),
    destroy: () => sandbox.destroy(),
    counters: () => sandbox.counters(),
  };
}
