/**
 * The slice of the Connect protocol (JSON codec, HTTP/1.1) that envd speaks and the e2b SDK's
 * `@connectrpc/connect-web` transport expects: unary calls are `application/json` with errors
 * as `{code, message}` and a mapped HTTP status; server-streaming calls are
 * `application/connect+json`, every message framed by a 5-byte envelope (1 flag byte, 4-byte
 * big-endian length), ending with an end-stream envelope (flag 0x02) that carries the error.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const END_STREAM_FLAG = 0b10;

export type ConnectCode =
  | 'canceled'
  | 'unknown'
  | 'invalid_argument'
  | 'deadline_exceeded'
  | 'not_found'
  | 'already_exists'
  | 'permission_denied'
  | 'resource_exhausted'
  | 'failed_precondition'
  | 'unimplemented'
  | 'internal'
  | 'unavailable'
  | 'unauthenticated';

const HTTP_STATUS: Record<ConnectCode, number> = {
  canceled: 499,
  unknown: 500,
  invalid_argument: 400,
  deadline_exceeded: 504,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  resource_exhausted: 429,
  failed_precondition: 400,
  unimplemented: 501,
  internal: 500,
  unavailable: 503,
  unauthenticated: 401,
};

/** An error an RPC handler throws; the server turns it into the Connect wire error. */
export class RpcError extends Error {
  constructor(
    readonly code: ConnectCode,
    message: string,
  ) {
    super(message);
  }
}

export function encodeEnvelope(flags: number, payload: unknown): Buffer {
  const data = Buffer.from(JSON.stringify(payload));
  const head = Buffer.alloc(5);
  head.writeUInt8(flags, 0);
  head.writeUInt32BE(data.length, 1);
  return Buffer.concat([head, data]);
}

/** Splits a request body into its enveloped messages. */
export function decodeEnvelopes(body: Buffer): { flags: number; message: unknown }[] {
  const out: { flags: number; message: unknown }[] = [];
  let offset = 0;
  while (offset + 5 <= body.length) {
    const flags = body.readUInt8(offset);
    const length = body.readUInt32BE(offset + 1);
    const data = body.subarray(offset + 5, offset + 5 + length);
    out.push({ flags, message: JSON.parse(data.toString('utf8')) as unknown });
    offset += 5 + length;
  }
  if (offset !== body.length) throw new RpcError('invalid_argument', 'truncated envelope');
  return out;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function sendUnary(res: ServerResponse, message: unknown): void {
  const body = JSON.stringify(message);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function sendUnaryError(res: ServerResponse, error: RpcError): void {
  const body = JSON.stringify({ code: error.code, message: error.message });
  res.writeHead(HTTP_STATUS[error.code], { 'content-type': 'application/json' });
  res.end(body);
}

/** A server stream: `send` frames a message, `end` writes the end-stream envelope. */
export interface ServerStream {
  send(message: unknown): void;
  end(error?: RpcError): void;
  readonly closed: boolean;
}

export function openServerStream(res: ServerResponse): ServerStream {
  res.writeHead(200, { 'content-type': 'application/connect+json' });
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  return {
    get closed() {
      return closed || res.writableEnded;
    },
    send(message) {
      if (closed || res.writableEnded) return;
      res.write(encodeEnvelope(0, message));
    },
    end(error) {
      if (res.writableEnded) return;
      const trailer = error ? { error: { code: error.code, message: error.message } } : {};
      res.end(encodeEnvelope(END_STREAM_FLAG, trailer));
    },
  };
}
