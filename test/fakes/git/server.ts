/**
 * A git smart-HTTP server for tests: `git http-backend` (CGI) behind a tiny node bridge that
 * demands `Authorization: Bearer <token>`, over bare repositories made in a temp directory.
 * Nothing touches the network beyond loopback.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeGitServer {
  /** e.g. `http://127.0.0.1:41234` — repositories are at `${url}/<name>.git`. */
  url: string;
  /** Directory holding the bare repositories (`file://${root}/<name>.git` works too). */
  root: string;
  /** The Authorization header of every request, in order. */
  authorizations: (string | undefined)[];
  /** Makes `<name>.git` with one commit per entry (files written, then committed); returns the shas. */
  createRepository(
    name: string,
    commits: { branch?: string; files: Record<string, string>; message?: string }[],
  ): string[];
  close(): Promise<void>;
}

const GIT_ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};

export async function startFakeGitServer(options: { token: string }): Promise<FakeGitServer> {
  const root = mkdtempSync(join(tmpdir(), 'th-fake-git-'));
  const authorizations: (string | undefined)[] = [];

  const server = createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    if (req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="fake-git"' }).end('unauthorized');
      return;
    }
    cgi(req, res, root);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    root,
    authorizations,
    createRepository(name, commits) {
      const work = mkdtempSync(join(tmpdir(), 'th-fake-git-work-'));
      const git = (...args: string[]) =>
        execFileSync('git', args, { cwd: work, env: GIT_ENV, encoding: 'utf8' }).trim();
      git('init', '--quiet', '--initial-branch=main');
      const shas: string[] = [];
      for (const commit of commits) {
        if (commit.branch) git('checkout', '--quiet', '-B', commit.branch);
        for (const [path, content] of Object.entries(commit.files)) {
          mkdirSync(join(work, path, '..'), { recursive: true });
          writeFileSync(join(work, path), content);
        }
        git('add', '-A');
        git('commit', '--quiet', '-m', commit.message ?? 'commit');
        shas.push(git('rev-parse', 'HEAD'));
      }
      git('checkout', '--quiet', 'main');
      execFileSync('git', ['clone', '--quiet', '--bare', work, join(root, `${name}.git`)], { env: GIT_ENV });
      rmSync(work, { recursive: true, force: true });
      return shas;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Runs `git http-backend` for one request and relays its CGI response. */
function cgi(req: IncomingMessage, res: ServerResponse, root: string): void {
  const url = new URL(req.url ?? '/', 'http://fake');
  const child = spawn('git', ['http-backend'], {
    env: {
      ...GIT_ENV,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      REMOTE_ADDR: '127.0.0.1',
    },
  });
  req.pipe(child.stdin);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.on('close', () => {
    const out = Buffer.concat(chunks);
    const split = out.indexOf('\r\n\r\n');
    const headerEnd = split >= 0 ? split : out.indexOf('\n\n');
    const sepLength = split >= 0 ? 4 : 2;
    if (headerEnd < 0) {
      res.writeHead(500).end('bad CGI response');
      return;
    }
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of out.subarray(0, headerEnd).toString('utf8').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
      else headers[key] = value;
    }
    res.writeHead(status, headers).end(out.subarray(headerEnd + sepLength));
  });
}
