/**
 * A fake Slack Socket Mode server: `apps.connections.open` (on the fake Web API) hands out
 * its ws URL; on connect it says `hello`; `send` pushes an envelope and resolves with the
 * client's ack (`{ envelope_id, payload? }`).
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { FakeSlack } from './web-api.js';

export interface EnvelopeAck {
  envelope_id: string;
  payload?: unknown;
}

export interface FakeSocketMode {
  url: string;
  /** Resolves once a client is connected and has been sent `hello`. */
  connected(timeoutMs?: number): Promise<void>;
  /** Sends an envelope; resolves with the ack (rejects after `timeoutMs`, default 3000 like Slack). */
  send(
    type: 'events_api' | 'slash_commands' | 'interactive',
    payload: unknown,
    options?: { envelopeId?: string; retryAttempt?: number; timeoutMs?: number },
  ): Promise<EnvelopeAck>;
  acks: EnvelopeAck[];
  close(): Promise<void>;
}

export async function startFakeSocketMode(slack: FakeSlack): Promise<FakeSocketMode> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as AddressInfo;
  const url = `ws://127.0.0.1:${port}/link`;
  slack.setSocketUrl(url);
  const acks: EnvelopeAck[] = [];
  const waiters = new Map<string, (ack: EnvelopeAck) => void>();
  let socket: WebSocket | null = null;
  let onConnect: Array<() => void> = [];

  wss.on('connection', (ws) => {
    socket = ws;
    ws.on('message', (data) => {
      const ack = JSON.parse(String(data)) as EnvelopeAck;
      if (!ack.envelope_id) return;
      acks.push(ack);
      waiters.get(ack.envelope_id)?.(ack);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        connection_info: { app_id: 'A0APP' },
        debug_info: { host: 'fake', approximate_connection_time: 3600 },
      }),
    );
    const pending = onConnect;
    onConnect = [];
    for (const resolve of pending) resolve();
  });

  return {
    url,
    acks,
    connected(timeoutMs = 5000) {
      if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no Socket Mode client connected')), timeoutMs);
        onConnect.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    send(type, payload, options = {}) {
      const envelopeId = options.envelopeId ?? randomUUID();
      const ws = socket;
      if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('no Socket Mode client'));
      return new Promise<EnvelopeAck>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(envelopeId);
          reject(new Error(`envelope ${envelopeId} not acknowledged in time`));
        }, options.timeoutMs ?? 3000);
        waiters.set(envelopeId, (ack) => {
          clearTimeout(timer);
          waiters.delete(envelopeId);
          resolve(ack);
        });
        ws.send(
          JSON.stringify({
            envelope_id: envelopeId,
            type,
            payload,
            accepts_response_payload: type !== 'events_api',
            retry_attempt: options.retryAttempt ?? 0,
            retry_reason: options.retryAttempt ? 'timeout' : '',
          }),
        );
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
