/** A local HTTPS upstream with its own test CA, recording what arrives. */
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createCaCertificate, createLeafCertificate } from '../../src/credentials/ca.js';

export interface RecordedRequest {
  host: string;
  method: string;
  path: string;
  authorization: string | undefined;
  body: string;
}

export interface TestUpstream {
  /** PEM file of the test CA (give it to Threadhand as NODE_EXTRA_CA_CERTS). */
  caFile: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** HTTPS servers on the same port of each loopback address given (e.g. 127.0.0.2, 127.0.0.3). */
export async function startTestUpstream(dir: string, addresses: string[]): Promise<TestUpstream> {
  const ca = createCaCertificate('Threadhand test upstream CA');
  const caFile = join(dir, 'test-upstream-ca.pem');
  writeFileSync(caFile, ca.certPem);
  const leaf = createLeafCertificate(ca, addresses);
  const requests: RecordedRequest[] = [];
  const servers: https.Server[] = [];
  let port = 0;
  for (const address of addresses) {
    const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({
          host: address,
          method: req.method ?? '',
          path: req.url ?? '',
          authorization: req.headers.authorization,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        if (req.url?.includes('/info/refs')) {
          // A git smart-HTTP server for an empty repository that wants Basic auth (like GitHub).
          if (!req.headers.authorization) {
            res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
            res.end();
            return;
          }
          res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement' });
          res.end('001e# service=git-upload-pack\n00000000');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`hello from ${address}\n`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, address, () => resolve());
    });
    port = (server.address() as AddressInfo).port;
    servers.push(server);
  }
  return {
    caFile,
    port,
    requests,
    close: async () => {
      for (const s of servers) {
        s.closeAllConnections();
        await new Promise<void>((r) => s.close(() => r()));
      }
    },
  };
}
