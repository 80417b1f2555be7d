/**
 * Tiny local package registries for the environment-packages test: an npm registry (packument
 * + tarball) and a PEP 503 "simple" index serving one wheel. Real npm and pip talk to them.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeRegistries {
  npmUrl: string;
  pipIndexUrl: string;
  requests: string[];
  close(): Promise<void>;
}

function buildNpmTarball(dir: string): Buffer {
  const pkg = join(dir, 'package');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'th-hello', version: '1.0.0', main: 'index.js', bin: { 'th-hello': 'bin.js' } }),
  );
  writeFileSync(join(pkg, 'index.js'), 'module.exports = { answer: 42 };\n');
  writeFileSync(join(pkg, 'bin.js'), '#!/usr/bin/env node\nconsole.log("hello from th-hello");\n');
  execFileSync('tar', ['czf', join(dir, 'th-hello-1.0.0.tgz'), '-C', dir, 'package']);
  return readFileSync(join(dir, 'th-hello-1.0.0.tgz'));
}

function buildWheel(dir: string): Buffer {
  const script = `
import zipfile, sys
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('thpkg/__init__.py', 'VALUE = 42\\n')
    z.writestr('thpkg-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: thpkg\\nVersion: 1.0\\n')
    z.writestr('thpkg-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: threadhand-test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')
    z.writestr('thpkg-1.0.dist-info/RECORD', 'thpkg/__init__.py,,\\nthpkg-1.0.dist-info/METADATA,,\\nthpkg-1.0.dist-info/WHEEL,,\\nthpkg-1.0.dist-info/RECORD,,\\n')
`;
  const path = join(dir, 'thpkg-1.0-py3-none-any.whl');
  execFileSync('/usr/bin/python3', ['-c', script, path]);
  return readFileSync(path);
}

export async function startFakeRegistries(): Promise<FakeRegistries> {
  const dir = mkdtempSync(join(tmpdir(), 'th-registry-'));
  const tarball = buildNpmTarball(dir);
  const wheel = buildWheel(dir);
  const requests: string[] = [];
  let base = '';
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/npm/th-hello') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          name: 'th-hello',
          'dist-tags': { latest: '1.0.0' },
          versions: {
            '1.0.0': {
              name: 'th-hello',
              version: '1.0.0',
              bin: { 'th-hello': 'bin.js' },
              dist: {
                tarball: `${base}/npm/th-hello/-/th-hello-1.0.0.tgz`,
                shasum: createHash('sha1').update(tarball).digest('hex'),
                integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
              },
            },
          },
        }),
      );
    } else if (req.url === '/npm/th-hello/-/th-hello-1.0.0.tgz') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(tarball);
    } else if (req.url === '/simple/thpkg/') {
      const sha = createHash('sha256').update(wheel).digest('hex');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<html><body><a href="/files/thpkg-1.0-py3-none-any.whl#sha256=${sha}">thpkg-1.0-py3-none-any.whl</a></body></html>`,
      );
    } else if (req.url === '/files/thpkg-1.0-py3-none-any.whl') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(wheel);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    npmUrl: `${base}/npm/`,
    pipIndexUrl: `${base}/simple/`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
