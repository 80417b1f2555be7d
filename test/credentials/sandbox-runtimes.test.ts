/**
 * HTTPS from Node and Python inside a real bubblewrap sandbox, through the egress proxy that
 * terminates TLS: they trust the Threadhand CA only because of the trust variables
 * (NODE_EXTRA_CA_CERTS, SSL_CERT_FILE) the sandbox gets, and the credential they read from the
 * environment (a placeholder) arrives upstream as the real value.
 *
 * The sandbox runs /usr/bin/node and /usr/bin/python3 (bwrap mounts /usr). Python `requests`
 * is not installed for /usr/bin/python3 here, so Python is proven with urllib.
 */
import { execFileSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CredentialWorkspace,
  createCredentialWorkspace,
  requireTools,
  type SessionRun,
  UPSTREAM_HOST,
} from './cli-session.js';

// npm's proxy agent checks an IP target's certificate against "localhost" (https-proxy-agent
// drops the host of IP literals), so npm talks to the upstream by this machine's name instead.
const NPM_HOST = hostname();
const SECRET = `tok_${Math.random().toString(36).slice(2)}RuntimeSecret${Date.now()}`;
const PLACEHOLDER_LINE = (label: string) => new RegExp(`^${label}=threadhand-placeholder-[0-9a-f]{40}$`, 'm');

// Node 20's fetch ignores HTTPS_PROXY, so this does what npm's proxy agent does: CONNECT through
// $HTTPS_PROXY, then TLS with Node's default trust store (no `ca` option).
const NODE_SCRIPT = `
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
const target = new URL(process.argv[2]);
const proxy = new URL(process.env.HTTPS_PROXY);
console.log('node_env=' + process.env.API_TOKEN);
const fail = (e) => { console.log('node_error=' + (e.code ?? '') + ' ' + e.message); process.exitCode = 1; };
const connect = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: target.host });
connect.on('connect', (res, socket) => {
  if (res.statusCode !== 200) return fail(new Error('CONNECT ' + res.statusCode));
  const req = https.request(target, {
    headers: { authorization: 'Bearer ' + process.env.API_TOKEN },
    createConnection: () => tls.connect({ socket, host: target.hostname }),
  }, (r) => {
    let body = '';
    r.on('data', (c) => (body += c));
    r.on('end', () => console.log('node_status=' + r.statusCode + ' ' + body.trim()));
  });
  req.on('error', fail);
  req.end();
});
connect.on('error', fail);
connect.end();
`;

// urllib follows $https_proxy itself and verifies with OpenSSL's defaults (SSL_CERT_FILE).
const PYTHON_SCRIPT = `
import os, sys, urllib.request
print('python_env=' + os.environ['API_TOKEN'])
req = urllib.request.Request(sys.argv[1], headers={'Authorization': 'Bearer ' + os.environ['API_TOKEN']})
try:
    with urllib.request.urlopen(req, timeout=20) as r:
        print('python_status=%d %s' % (r.status, r.read().decode().strip()))
except Exception as e:
    print('python_error=%r' % (e,))
    sys.exit(1)
`;

let cw: CredentialWorkspace;
let run: SessionRun;

beforeAll(async () => {
  requireTools(['node', 'python3']);
  // The sandbox sees only /usr: the interpreters it runs must be there.
  for (const tool of ['/usr/bin/node', '/usr/bin/python3']) execFileSync(tool, ['--version']);
  await lookup(NPM_HOST).catch(() => {
    throw new Error(`this machine's name ${NPM_HOST} does not resolve: add it to /etc/hosts`);
  });
  cw = await createCredentialWorkspace({ extraHosts: [NPM_HOST] });
  expect((await cw.cli(['vault', 'create', 'default'])).code).toBe(0);
  const added = await cw.cli([
    'vault',
    'add',
    'default',
    'API_TOKEN',
    '--host',
    UPSTREAM_HOST,
    '--host',
    NPM_HOST,
    '--value',
    SECRET,
  ]);
  expect(added.code).toBe(0);
  const command = [
    `cat > /tmp/probe.mjs <<'EOF'${NODE_SCRIPT}EOF`,
    `cat > /tmp/probe.py <<'EOF'${PYTHON_SCRIPT}EOF`,
    'echo "which_node=$(command -v node) which_python=$(command -v python3)"',
    `node /tmp/probe.mjs ${cw.base}/node; echo "node_exit=$?"`,
    `python3 /tmp/probe.py ${cw.base}/python; echo "python_exit=$?"`,
    // npm with the token in a project .npmrc, the usual way. npm's own retries are kept (short
    // waits): one run in five saw the TLS handshake through the proxy reset (ECONNRESET).
    'mkdir -p /tmp/npm-project && cd /tmp/npm-project && echo "{}" > package.json',
    `echo '//${NPM_HOST}:${cw.upstream.port}/:_authToken=\${API_TOKEN}' > .npmrc`,
    `npm ping --no-update-notifier --fetch-retry-mintimeout=200 --fetch-retry-maxtimeout=1000 --registry https://${NPM_HOST}:${cw.upstream.port}/npm/ 2>&1 | grep -E 'PONG|error'; echo "npm_exit=\${PIPESTATUS[0]}"`,
    // Controls: without its trust variable each runtime rejects the proxy's certificate.
    `env -u NODE_EXTRA_CA_CERTS node /tmp/probe.mjs ${cw.base}/node-untrusted | grep node_error`,
    `env -u SSL_CERT_FILE python3 /tmp/probe.py ${cw.base}/python-untrusted | grep python_error`,
  ].join('\n');
  run = await cw.runBash(command);
}, 120_000);

afterAll(async () => {
  await cw?.close();
});

describe('HTTPS from node, npm and python3 inside the sandbox (real bubblewrap)', () => {
  it('the sandbox runs the host interpreters from /usr', () => {
    expect(run.code).toBe(0);
    expect(run.toolOutput).toContain('which_node=/usr/bin/node which_python=/usr/bin/python3');
  });

  it('node (https over a CONNECT tunnel, default trust store) reaches the host with the real secret injected', () => {
    expect(run.toolOutput).toContain(`node_status=200 hello from ${UPSTREAM_HOST}`);
    expect(run.toolOutput).toContain('node_exit=0');
    expect(cw.upstream.requests.find((r) => r.path === '/node')?.authorization).toBe(`Bearer ${SECRET}`);
    expect(run.toolOutput).toMatch(PLACEHOLDER_LINE('node_env'));
  });

  it('python3 (urllib) reaches the host with the real secret injected', () => {
    expect(run.toolOutput).toContain(`python_status=200 hello from ${UPSTREAM_HOST}`);
    expect(run.toolOutput).toContain('python_exit=0');
    expect(cw.upstream.requests.find((r) => r.path === '/python')?.authorization).toBe(`Bearer ${SECRET}`);
    expect(run.toolOutput).toMatch(PLACEHOLDER_LINE('python_env'));
  });

  it('npm (its proxy and CA settings from the environment) reaches the registry with the real token', () => {
    expect(run.toolOutput).toContain('npm_exit=0');
    expect(run.toolOutput).toContain('PONG');
    const ping = cw.upstream.requests.find((r) => r.path.startsWith('/npm/-/ping'));
    expect(ping?.host).toBe(NPM_HOST);
    expect(ping?.authorization).toBe(`Bearer ${SECRET}`);
  });

  it('without NODE_EXTRA_CA_CERTS / SSL_CERT_FILE the same requests fail certificate checks and never arrive', () => {
    expect(run.toolOutput).toMatch(
      /node_error=(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)/,
    );
    expect(run.toolOutput).toMatch(/python_error=.*CERTIFICATE_VERIFY_FAILED/);
    expect(cw.upstream.requests.filter((r) => r.path.endsWith('-untrusted'))).toEqual([]);
  });

  it('the sandbox, the events and the CLI output never hold the secret', () => {
    expect(run.toolOutput + run.eventsJson + cw.printed()).not.toContain(SECRET);
  });
});
