/**
 * Fake E2B control plane (the SDK's `apiUrl` / `E2B_API_URL`): the REST routes the e2b SDK 2.x
 * calls for sandbox lifecycle, with the status codes and JSON field names of E2B's OpenAPI
 * spec (`sandboxID`, `envdAccessToken`, `{code, message}` errors).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './connect.js';
import type { FakeE2BState, SandboxRecord } from './state.js';

export type LatencySpec = number | { minMs: number; maxMs: number } | (() => number);

export interface ControlPlaneOptions {
  apiKey: string;
  /** Time a create takes (the benchmark's realistic 300-2000 ms); default 0. */
  createLatencyMs?: LatencySpec;
  /** Time a resume of a paused sandbox takes; default 0. */
  resumeLatencyMs?: LatencySpec;
  /** Templates that exist; default `['base']`. */
  templates?: string[];
  /** Concurrent running sandboxes allowed before create answers 429; default unlimited. */
  maxRunning?: number;
  envdVersion?: string;
}

/** A scripted failure for the next matching call (tests of error translation). */
export interface InjectedFailure {
  method?: string;
  pathPattern?: RegExp;
  status: number;
  message: string;
}

function latency(spec: LatencySpec | undefined): number {
  if (spec === undefined) return 0;
  if (typeof spec === 'number') return spec;
  if (typeof spec === 'function') return spec();
  return spec.minMs + Math.random() * (spec.maxMs - spec.minMs);
}

function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const error = (res: ServerResponse, code: number, message: string): void =>
  sendJson(res, code, { code, message });

function sandboxJson(record: SandboxRecord, envdVersion: string): Record<string, unknown> {
  return {
    sandboxID: record.sandboxId,
    templateID: record.templateID,
    clientID: 'fake-client',
    envdVersion,
    envdAccessToken: record.envdAccessToken,
    domain: null,
  };
}

function detailJson(record: SandboxRecord, envdVersion: string): Record<string, unknown> {
  return {
    ...sandboxJson(record, envdVersion),
    cpuCount: 2,
    memoryMB: 512,
    diskSizeMB: 1024,
    metadata: record.metadata,
    startedAt: record.startedAt.toISOString(),
    endAt: record.endAt.toISOString(),
    state: record.state,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createControlPlaneHandler(
  state: FakeE2BState,
  options: ControlPlaneOptions,
  failures: InjectedFailure[],
) {
  const templates = options.templates ?? ['base'];
  const envdVersion = options.envdVersion ?? '0.6.4';
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://api');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const body = (raw.length ? JSON.parse(raw.toString()) : {}) as Record<string, unknown>;
    const idMatch = /^\/(?:v2\/)?sandboxes\/([^/]+)/.exec(url.pathname);
    const sandboxId = idMatch?.[1];
    state.record({
      service: 'api',
      method,
      path: url.pathname,
      sandboxId,
      body: raw.length ? body : undefined,
    });

    if (req.headers['x-api-key'] !== options.apiKey)
      return error(res, 401, 'Invalid API key, it must start with e2b_');
    const failureIndex = failures.findIndex(
      (f) => (!f.method || f.method === method) && (!f.pathPattern || f.pathPattern.test(url.pathname)),
    );
    if (failureIndex >= 0) {
      const [failure] = failures.splice(failureIndex, 1);
      if (failure) return error(res, failure.status, failure.message);
    }
    const record = sandboxId ? state.sandboxes.get(sandboxId) : undefined;
    const notFound = (): void =>
      error(res, 404, `sandbox "${sandboxId}" doesn't exist or you don't have access to it`);

    if (method === 'POST' && url.pathname === '/v2/sandboxes') {
      const templateID = String(body.templateID ?? 'base');
      if (!templates.includes(templateID)) return error(res, 404, `template '${templateID}' not found`);
      const running = [...state.sandboxes.values()].filter((s) => s.state === 'running').length;
      if (options.maxRunning !== undefined && running >= options.maxRunning) {
        return error(
          res,
          429,
          `You have reached the maximum number of concurrent E2B sandboxes (${options.maxRunning}).`,
        );
      }
      await sleep(latency(options.createLatencyMs));
      const id = state.nextId();
      const created: SandboxRecord = {
        sandboxId: id,
        templateID,
        envdAccessToken: randomBytes(16).toString('hex'),
        state: 'running',
        metadata: (body.metadata as Record<string, string> | undefined) ?? {},
        envVars: (body.envVars as Record<string, string> | undefined) ?? {},
        createBody: body,
        autoPause: body.autoPause === true,
        startedAt: new Date(),
        endAt: new Date(),
        host: state.newHost(id),
      };
      state.sandboxes.set(id, created);
      state.armExpiry(created, typeof body.timeout === 'number' ? body.timeout : 300);
      return sendJson(res, 201, sandboxJson(created, envdVersion));
    }
    if (method === 'GET' && url.pathname === '/v2/sandboxes') {
      const states = url.searchParams.get('state')?.split(',');
      const meta = new URLSearchParams(url.searchParams.get('metadata') ?? '');
      const list = [...state.sandboxes.values()].filter(
        (s) => (!states || states.includes(s.state)) && [...meta].every(([k, v]) => s.metadata[k] === v),
      );
      return sendJson(
        res,
        200,
        list.map((s) => detailJson(s, envdVersion)),
      );
    }
    if (!record) return notFound();
    const rest = url.pathname.slice(url.pathname.indexOf(record.sandboxId) + record.sandboxId.length);

    if (method === 'GET' && rest === '') return sendJson(res, 200, detailJson(record, envdVersion));
    if (method === 'DELETE' && rest === '') {
      state.kill(record);
      return sendJson(res, 204);
    }
    if (method === 'POST' && rest === '/pause') {
      if (record.state === 'paused')
        return error(res, 409, `sandbox "${record.sandboxId}" is already paused`);
      state.pause(record);
      return sendJson(res, 204);
    }
    if (method === 'POST' && rest === '/connect' && url.pathname.startsWith('/v2/')) {
      const timeout = typeof body.timeout === 'number' ? body.timeout : 300;
      if (record.state === 'running') {
        // "TTL is only extended": a shorter timeout than what is left changes nothing.
        if (Date.now() + timeout * 1000 > record.endAt.getTime()) state.armExpiry(record, timeout);
        return sendJson(res, 200, sandboxJson(record, envdVersion));
      }
      await sleep(latency(options.resumeLatencyMs));
      state.resume(record, timeout);
      return sendJson(res, 201, sandboxJson(record, envdVersion));
    }
    if (method === 'POST' && rest === '/timeout') {
      if (record.state !== 'running') return notFound();
      state.armExpiry(record, typeof body.timeout === 'number' ? body.timeout : 300);
      return sendJson(res, 204);
    }
    return error(res, 404, `no route ${method} ${url.pathname} in the fake E2B API`);
  };
}
