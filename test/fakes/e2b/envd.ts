/**
 * Fake envd (the daemon inside an E2B sandbox), reached the way the SDK reaches it with
 * `E2B_SANDBOX_URL`: one URL for every sandbox, the target named by the `E2b-Sandbox-Id`
 * header, `X-Access-Token` checked against the token the control plane handed out. Speaks
 * Connect-RPC JSON for `process.Process` and `filesystem.Filesystem`, plain HTTP `/files` and
 * `/health`. A sandbox that is paused, killed or unknown answers 502, as E2B's edge proxy does.
 */
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import {
  decodeEnvelopes,
  openServerStream,
  RpcError,
  readBody,
  sendUnary,
  sendUnaryError,
} from './connect.js';
import { DEFAULT_USER, type FakeSandboxHost, type ProcessEventJson } from './sandbox-host.js';
import type { FakeE2BState, SandboxRecord } from './state.js';

type Json = Record<string, unknown>;

function asObject(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}
function str(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new RpcError('invalid_argument', `${field} is required`);
  return value;
}
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const FILE_TYPES = { file: 'FILE_TYPE_FILE', dir: 'FILE_TYPE_DIRECTORY', symlink: 'FILE_TYPE_SYMLINK' };

function entryInfo(host: FakeSandboxHost, hostPath: string): Json {
  const st = lstatSync(hostPath);
  const type = st.isSymbolicLink() ? FILE_TYPES.symlink : st.isDirectory() ? FILE_TYPES.dir : FILE_TYPES.file;
  const entry: Json = {
    name: path.basename(hostPath),
    type,
    path: host.sandboxPath(hostPath),
    size: String(st.size), // int64 travels as a JSON string
    mode: st.mode & 0o777,
    permissions: (st.mode & 0o777).toString(8),
    owner: 'user',
    group: 'user',
    modifiedTime: st.mtime.toISOString(),
  };
  if (st.isSymbolicLink()) entry.symlinkTarget = readlinkSync(hostPath);
  return entry;
}

function listDir(host: FakeSandboxHost, dir: string, depth: number, out: Json[]): void {
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    out.push(entryInfo(host, full));
    if (depth > 1 && lstatSync(full).isDirectory()) listDir(host, full, depth - 1, out);
  }
}

function isDirectory(hostPath: string): boolean {
  try {
    return statSync(hostPath).isDirectory();
  } catch {
    return false;
  }
}

function existing(hostPath: string, sandboxPath: string): void {
  try {
    lstatSync(hostPath);
  } catch {
    throw new RpcError('not_found', `path not found: ${sandboxPath}`);
  }
}

/**
 * Who the request acts as: envd takes `Authorization: Basic base64("<user>:")` (RPC) or the
 * `username` query parameter (`/files`); without either, the sandbox's default user.
 */
function userOf(req: IncomingMessage, url: URL): string {
  const auth = /^Basic\s+(\S+)$/.exec(String(req.headers.authorization ?? ''));
  if (auth?.[1]) return Buffer.from(auth[1], 'base64').toString().split(':')[0] || DEFAULT_USER;
  return url.searchParams.get('username') || DEFAULT_USER;
}

function writable(host: FakeSandboxHost, sandboxPath: string, user: string): string {
  const target = host.hostPath(sandboxPath, user);
  if (!target.writable) throw new RpcError('permission_denied', `permission denied: ${sandboxPath}`);
  return target.host;
}

function filesystemCall(host: FakeSandboxHost, method: string, body: Json, user: string): Json {
  switch (method) {
    case 'Stat': {
      const p = str(body.path, 'path');
      const { host: hp } = host.hostPath(p, user);
      existing(hp, p);
      return { entry: entryInfo(host, hp) };
    }
    case 'ListDir': {
      const p = str(body.path, 'path');
      const depth = typeof body.depth === 'number' && body.depth > 0 ? body.depth : 1;
      const { host: hp } = host.hostPath(p, user);
      existing(hp, p);
      if (!statSync(hp).isDirectory())
        throw new RpcError('invalid_argument', `path is not a directory: ${p}`);
      const entries: Json[] = [];
      listDir(host, hp, depth, entries);
      return { entries };
    }
    case 'MakeDir': {
      const p = str(body.path, 'path');
      try {
        lstatSync(host.hostPath(p, user).host);
        throw new RpcError('already_exists', `directory already exists: ${p}`);
      } catch (err) {
        if (err instanceof RpcError) throw err;
      }
      const hp = writable(host, p, user);
      mkdirSync(hp, { recursive: true });
      return { entry: entryInfo(host, hp) };
    }
    case 'Remove': {
      const p = str(body.path, 'path');
      const hp = writable(host, p, user);
      existing(hp, p);
      rmSync(hp, { recursive: true, force: true });
      return {};
    }
    case 'Move': {
      const source = str(body.source, 'source');
      const destination = str(body.destination, 'destination');
      const from = writable(host, source, user);
      const to = writable(host, destination, user);
      existing(from, source);
      mkdirSync(path.dirname(to), { recursive: true });
      renameSync(from, to);
      return { entry: entryInfo(host, to) };
    }
    default:
      throw new RpcError('unimplemented', `filesystem.Filesystem/${method} is not implemented by the fake`);
  }
}

function selectedPid(body: Json): number {
  const pid = asObject(body.process).pid;
  if (typeof pid !== 'number') throw new RpcError('invalid_argument', 'process.pid is required');
  return pid;
}

async function processStream(
  record: SandboxRecord,
  method: 'Start' | 'Connect',
  body: Json,
  user: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const host = record.host;
  let proc = undefined as ReturnType<FakeSandboxHost['start']> | undefined;
  if (method === 'Start') {
    const config = asObject(body.process);
    const envs = asObject(config.envs);
    proc = host.start(
      {
        cmd: str(config.cmd, 'process.cmd'),
        args: Array.isArray(config.args) ? config.args.map(String) : [],
        envs: Object.fromEntries(Object.entries(envs).map(([k, v]) => [k, String(v)])),
        cwd: typeof config.cwd === 'string' ? config.cwd : undefined,
      },
      typeof body.tag === 'string' ? body.tag : undefined,
      user,
    );
  } else {
    proc = host.processes.get(selectedPid(body));
  }
  const stream = openServerStream(res);
  if (!proc) {
    stream.end(new RpcError('not_found', 'process not found'));
    return;
  }
  const keepaliveSeconds = Number(req.headers['keepalive-ping-interval'] ?? 0);
  const keepalive =
    keepaliveSeconds > 0
      ? setInterval(() => stream.send({ event: { keepalive: {} } }), keepaliveSeconds * 1000)
      : undefined;
  const listener = (event: ProcessEventJson): void => {
    stream.send({ event });
    if ('end' in event) finish();
  };
  const finish = (): void => {
    if (keepalive) clearInterval(keepalive);
    proc?.listeners.delete(listener);
    stream.end();
  };
  // A client that goes away only stops listening; the process keeps running, as in envd.
  res.on('close', () => {
    if (keepalive) clearInterval(keepalive);
    proc?.listeners.delete(listener);
  });
  if (method === 'Connect') stream.send({ event: { start: { pid: proc.pid } } });
  const replay = method === 'Start' ? proc.history : proc.history.filter((e) => 'end' in e);
  for (const event of replay) listener(event);
  if (!proc.done) proc.listeners.add(listener);
}

function processUnary(host: FakeSandboxHost, method: string, body: Json): Json {
  switch (method) {
    case 'SendSignal': {
      const proc = host.processes.get(selectedPid(body));
      if (!proc) throw new RpcError('not_found', 'process not found');
      const signal = body.signal === 'SIGNAL_SIGTERM' || body.signal === 15 ? 'SIGTERM' : 'SIGKILL';
      proc.signal(signal);
      return {};
    }
    case 'List':
      return {
        processes: [...host.processes.values()].map((p) => ({
          config: { cmd: p.config.cmd, args: p.config.args, envs: p.config.envs, cwd: p.config.cwd },
          pid: p.pid,
          ...(p.tag ? { tag: p.tag } : {}),
        })),
      };
    default:
      throw new RpcError('unimplemented', `process.Process/${method} is not implemented by the fake`);
  }
}

async function handleFiles(
  record: SandboxRecord,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const host = record.host;
  const user = userOf(req, url);
  const queryPath = url.searchParams.get('path') ?? undefined;
  if (req.method === 'GET') {
    if (!queryPath) return sendJson(res, 400, { code: 400, message: 'path is required' });
    const { host: hp } = host.hostPath(queryPath, user);
    let isDir: boolean;
    try {
      isDir = statSync(hp).isDirectory();
    } catch {
      return sendJson(res, 404, { code: 404, message: `path '${queryPath}' does not exist` });
    }
    if (isDir) return sendJson(res, 400, { code: 400, message: `path '${queryPath}' is a directory` });
    const data = readFileSync(hp);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': data.length });
    res.end(data);
    return;
  }
  const body = await readBody(req);
  const contentType = req.headers['content-type'] ?? '';
  const files: { path: string; data: Buffer }[] = [];
  if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(new Uint8Array(body), {
      headers: { 'content-type': contentType },
    }).formData();
    for (const value of form.getAll('file')) {
      if (typeof value === 'string') continue;
      files.push({ path: queryPath ?? value.name, data: Buffer.from(await value.arrayBuffer()) });
    }
  } else {
    if (!queryPath) return sendJson(res, 400, { code: 400, message: 'path is required' });
    files.push({ path: queryPath, data: body });
  }
  const written: Json[] = [];
  for (const file of files) {
    const target = host.hostPath(file.path, user);
    if (!target.writable)
      return sendJson(res, 401, { code: 401, message: `permission denied: ${file.path}` });
    if (isDirectory(target.host))
      return sendJson(res, 400, { code: 400, message: `path '${file.path}' is a directory` });
    mkdirSync(path.dirname(target.host), { recursive: true });
    writeFileSync(target.host, file.data);
    written.push({ name: path.basename(target.host), type: 'file', path: host.sandboxPath(target.host) });
  }
  sendJson(res, 200, written);
}

export function createEnvdHandler(state: FakeE2BState) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://envd');
    const sandboxId = String(req.headers['e2b-sandbox-id'] ?? '');
    const record = state.sandboxes.get(sandboxId);
    const rpc = /^\/(process\.Process|filesystem\.Filesystem)\/(\w+)$/.exec(url.pathname);
    const raw = rpc && req.method === 'POST' ? await readBody(req) : undefined;
    const streaming = (req.headers['content-type'] ?? '').startsWith('application/connect+json');
    let body: Json = {};
    if (raw)
      body = asObject(
        streaming ? decodeEnvelopes(raw)[0]?.message : raw.length ? JSON.parse(raw.toString()) : {},
      );
    state.record({
      service: 'envd',
      method: req.method ?? 'GET',
      path: url.pathname,
      sandboxId,
      body: rpc ? body : undefined,
    });

    if (record?.state !== 'running') {
      return sendJson(res, 502, { code: 502, message: `The sandbox ${sandboxId} was not found`, sandboxId });
    }
    if (req.headers['x-access-token'] !== record.envdAccessToken) {
      return sendJson(res, 401, {
        code: 401,
        message: 'unauthorized access, please provide a valid access token',
      });
    }
    try {
      if (url.pathname === '/health') {
        res.writeHead(204);
        res.end();
        return;
      }
      if (url.pathname === '/files') return await handleFiles(record, req, res, url);
      if (!rpc) return sendJson(res, 404, { code: 404, message: `no route ${url.pathname}` });
      const [, service, method = ''] = rpc;
      if (service === 'process.Process' && (method === 'Start' || method === 'Connect')) {
        return await processStream(record, method, body, userOf(req, url), req, res);
      }
      const reply =
        service === 'process.Process'
          ? processUnary(record.host, method, body)
          : filesystemCall(record.host, method, body, userOf(req, url));
      sendUnary(res, reply);
    } catch (err) {
      const error =
        err instanceof RpcError
          ? err
          : new RpcError('internal', err instanceof Error ? err.message : String(err));
      if (res.headersSent) res.end();
      else sendUnaryError(res, error);
    }
  };
}
