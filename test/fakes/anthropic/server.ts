// Fake Anthropic Messages API over real HTTP: `POST /v1/messages`, streaming (SSE with `event:`
// lines) and non-streaming, scripted turns, recorded requests. Works with `@anthropic-ai/sdk`
// (`new Anthropic({ apiKey, baseURL: fake.url, maxRetries: 0 })`) and `ANTHROPIC_BASE_URL`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  blockEvents,
  errorBody,
  type SseEvent,
  stopReason,
  wholeMessage,
  wireBlocks,
  wireUsage,
} from './messages.js';
import type { FakeAnthropic, FakeAnthropicOptions, FakeScript, FakeTurn, RecordedRequest } from './types.js';

export type * from './types.js';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text).toString(),
    ...headers,
  });
  res.end(text);
}

function credential(headers: Record<string, string>): string | undefined {
  const key = headers['x-api-key'];
  if (key) return key;
  const auth = headers.authorization;
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim() || undefined;
  return undefined;
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  let script: FakeScript = options.script ?? [];
  let turnIndex = 0;
  let messageSeq = 0;
  const defaultChunk = options.chunkSize ?? 8;
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  const open = new Set<ServerResponse>();

  async function nextTurn(request: RecordedRequest): Promise<FakeTurn | undefined> {
    const index = turnIndex++;
    if (typeof script === 'function') return script(request, index);
    return script[index];
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abort = new AbortController();
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableFinished) abort.abort();
    });

    const [path = '/', query = ''] = (req.url ?? '/').split('?');
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    }
    const raw = await readBody(req);

    if (path.replace(/\/+$/, '') !== '/v1/messages' || req.method !== 'POST') {
      sendJson(res, 404, errorBody('not_found_error', `fake anthropic: no route ${req.method} ${path}`));
      return;
    }
    const key = credential(headers);
    if (!key || (options.apiKey !== undefined && key !== options.apiKey)) {
      sendJson(res, 401, errorBody('authentication_error', 'invalid x-api-key'));
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      sendJson(res, 400, errorBody('invalid_request_error', 'request body is not valid JSON'));
      return;
    }
    const record: RecordedRequest = {
      index: requests.length,
      method: req.method,
      path,
      query,
      headers,
      body,
      receivedAt: Date.now(),
      receivedAtMs: performance.now(),
      aborted: false,
      completed: false,
    };
    abort.signal.addEventListener('abort', () => {
      record.aborted = true;
    });
    requests.push(record);
    for (const wake of [...waiters]) wake();

    const turn = await nextTurn(record);
    if (!turn) {
      sendJson(
        res,
        400,
        errorBody('invalid_request_error', `fake anthropic: script exhausted (request #${record.index + 1})`),
      );
      record.completed = true;
      record.completedAtMs = performance.now();
      return;
    }
    await sleep(turn.delayMs ?? 0, abort.signal);
    if (abort.signal.aborted) return;

    const requestId = `req_fake_${String(record.index).padStart(6, '0')}`;
    if (turn.error) {
      const errHeaders: Record<string, string> = { 'request-id': requestId };
      if (turn.error.retryAfter !== undefined) errHeaders['retry-after'] = String(turn.error.retryAfter);
      if (turn.error.retryAfterMs !== undefined)
        errHeaders['retry-after-ms'] = String(turn.error.retryAfterMs);
      sendJson(
        res,
        turn.error.status,
        errorBody(turn.error.type, turn.error.message ?? turn.error.type),
        errHeaders,
      );
      record.completed = true;
      record.completedAtMs = performance.now();
      return;
    }

    const seq = ++messageSeq;
    const id = `msg_fake_${String(seq).padStart(6, '0')}`;
    // biome-ignore lint/suspicious/noExplicitAny: request body is whatever the client sent
    const params = body as any;
    const model = typeof params?.model === 'string' ? params.model : 'claude-fake';
    const blocks = wireBlocks(turn, seq);
    const stop = stopReason(turn);
    const usage = wireUsage(turn, body, blocks);

    if (params?.stream !== true) {
      sendJson(res, 200, wholeMessage(id, model, blocks, stop, usage), { 'request-id': requestId });
      record.completed = true;
      record.completedAtMs = performance.now();
      return;
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'request-id': requestId,
    });
    res.flushHeaders();
    const write = (e: SseEvent) => {
      if (!abort.signal.aborted) res.write(`event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`);
    };

    const startMessage = wholeMessage(id, model, [], '', { ...usage, output_tokens: 1 });
    write({
      event: 'message_start',
      data: { type: 'message_start', message: { ...startMessage, stop_reason: null } },
    });
    write({ event: 'ping', data: { type: 'ping' } });
    await sleep(turn.firstTokenDelayMs ?? 0, abort.signal);

    const size = turn.chunkSize ?? defaultChunk;
    const errorAfter = turn.midStreamError ? (turn.midStreamError.afterBlocks ?? blocks.length) : -1;
    for (const [index, block] of blocks.entries()) {
      if (index === errorAfter) break;
      for (const e of blockEvents(block, index, size)) {
        if (abort.signal.aborted) return;
        write(e);
        if (e.event === 'content_block_delta') await sleep(turn.chunkDelayMs ?? 0, abort.signal);
      }
    }
    if (abort.signal.aborted) return;
    if (turn.midStreamError) {
      const { type, message } = turn.midStreamError;
      write({ event: 'error', data: errorBody(type, message ?? type) });
      res.end();
      record.completed = true;
      record.completedAtMs = performance.now();
      return;
    }
    if (turn.hang) return; // stays open until the client aborts or close()
    write({
      event: 'message_delta',
      data: { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage },
    });
    write({ event: 'message_stop', data: { type: 'message_stop' } });
    res.end();
    record.completed = true;
    record.completedAtMs = performance.now();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, errorBody('api_error', `fake anthropic: ${String(err)}`));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setScript(next) {
      script = next;
      turnIndex = 0;
    },
    waitForRequests(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`fake anthropic: ${requests.length}/${count} requests after ${timeoutMs} ms`));
        }, timeoutMs);
        function check() {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(requests.slice());
        }
        waiters.add(check);
      });
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
