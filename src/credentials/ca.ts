/**
 * The per-install certificate authority the egress proxy uses to terminate sandbox TLS.
 * Generated once into `<dataDir>/ca/` (key mode 0600); leaf certificates are minted per host
 * on demand, signed by it, and share one key pair (minting stays fast).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';

export interface CertificateAuthority {
  /** PEM of the CA certificate (what sandboxes trust). */
  readonly certPem: string;
  /** A certificate for `host` (name or IP) and its key, PEM. */
  leafFor(host: string): { cert: string; key: string };
}

const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/cert.pem',
];

/** The host's CA bundle (PEM), or '' when none of the usual files exists. */
export function systemCaBundle(): string {
  for (const path of SYSTEM_BUNDLES) if (existsSync(path)) return readFileSync(path, 'utf8');
  return '';
}

function keyPair(): {
  publicKey: forge.pki.PublicKey;
  privateKey: forge.pki.rsa.PrivateKey;
  privatePem: string;
} {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const forgeKey = forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey;
  return {
    privateKey: forgeKey,
    publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e),
    privatePem: forge.pki.privateKeyToPem(forgeKey),
  };
}

function serial(): string {
  // Positive (leading nibble < 8) and unique.
  return `0${randomBytes(15).toString('hex')}`;
}

/** Creates a self-signed CA (also used by tests for their upstream). */
export function createCaCertificate(commonName: string): { certPem: string; keyPem: string } {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 24 * 3600_000);
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'Threadhand' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

/** Signs a leaf certificate for the given names/IPs with a CA (PEMs). */
export function createLeafCertificate(
  ca: { certPem: string; keyPem: string },
  hosts: string[],
  leafKey?: { publicKey: forge.pki.PublicKey; privatePem: string },
): { cert: string; key: string } {
  const keys = leafKey ?? keyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 24 * 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: hosts[0] ?? 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.privatePem };
}

/**
 * The CA in `<dir>/ca.pem` + `ca.key`. Nothing is read or generated until it is first used
 * (a session holding credentials), so installs without vaults never create it.
 */
export function loadOrCreateCa(dir: string): CertificateAuthority {
  let loaded: CertificateAuthority | undefined;
  const load = (): CertificateAuthority => {
    if (loaded) return loaded;
    const certPath = join(dir, 'ca.pem');
    const keyPath = join(dir, 'ca.key');
    let ca: { certPem: string; keyPem: string };
    if (existsSync(certPath) && existsSync(keyPath)) {
      ca = { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
    } else {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      ca = createCaCertificate('Threadhand egress proxy CA');
      writeFileSync(keyPath, ca.keyPem, { mode: 0o600 });
      writeFileSync(certPath, ca.certPem, { mode: 0o644 });
    }
    loaded = createCertificateAuthority(ca);
    return loaded;
  };
  return {
    get certPem() {
      return load().certPem;
    },
    leafFor: (host) => load().leafFor(host),
  };
}

export function createCertificateAuthority(ca: { certPem: string; keyPem: string }): CertificateAuthority {
  let leafKey: ReturnType<typeof keyPair> | undefined;
  const leaves = new Map<string, { cert: string; key: string }>();
  return {
    certPem: ca.certPem,
    leafFor(host) {
      const name = host.toLowerCase();
      let leaf = leaves.get(name);
      if (!leaf) {
        leafKey ??= keyPair();
        leaf = createLeafCertificate(ca, [name], leafKey);
        if (leaves.size > 1000) leaves.clear();
        leaves.set(name, leaf);
      }
      return leaf;
    },
  };
}
