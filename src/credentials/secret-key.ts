/**
 * The key that encrypts vault secrets at rest (and derives sandbox placeholders).
 * `THREADHAND_SECRET_KEY` wins; otherwise a random key is generated once into
 * `<dataDir>/secret.key` (mode 0600) with a warning, since losing that file loses the secrets.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../logging.js';

export interface SecretKeyOptions {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  logger: Logger;
}

/** A 32-byte AES-256 key. */
export function loadSecretKey(options: SecretKeyOptions): Buffer {
  const configured = options.env.THREADHAND_SECRET_KEY?.trim();
  if (configured) return deriveKey(configured);
  const path = join(options.dataDir, 'secret.key');
  if (existsSync(path)) return deriveKey(readFileSync(path, 'utf8').trim());
  mkdirSync(options.dataDir, { recursive: true });
  const generated = randomBytes(32).toString('hex');
  // `wx`: two processes starting at once must not overwrite each other's key.
  try {
    writeFileSync(path, `${generated}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return deriveKey(readFileSync(path, 'utf8').trim());
    throw error;
  }
  options.logger.warn(
    { path },
    'THREADHAND_SECRET_KEY is not set: generated a vault key file. Back it up (vault secrets cannot be read without it), or set THREADHAND_SECRET_KEY (e.g. `openssl rand -hex 32`); processes sharing Redis need the same key.',
  );
  return deriveKey(generated);
}

/** Any string of at least 32 characters; SHA-256 makes it exactly 32 bytes. */
export function deriveKey(material: string): Buffer {
  return createHash('sha256').update(`threadhand-vault-key:${material}`).digest();
}
