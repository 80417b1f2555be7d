/**
 * A bolt `Receiver` for the HTTP Events API on the shared Hono app: verifies Slack's signature
 * (HMAC-SHA256, 5-minute window), answers as soon as the app acks (events are acked at once;
 * commands and actions answer with what their handler acks, or an empty 200 after 2.5 s so
 * Slack's 3-second limit holds whatever the load), and dispatches after the answer.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Logger } from '../../logging.js';

export const SIGNATURE_WINDOW_SECONDS = 300;
const ACK_DEADLINE_MS = 2500;

export interface HonoReceiverOptions {
  signingSecret: string;
  logger: Logger;
  path?: string;
  now?: () => number;
}

export interface HonoReceiver extends Receiver {
  /** Adds the route to the shared app (do this before the server starts routing). */
  mount(app: Hono): void;
}

export function verifySlackSignature(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: string,
  nowSeconds: number,
): string | null {
  if (!timestamp || !signature) return 'missing signature headers';
  const ts = Number(timestamp);
  if (!Number.isInteger(ts)) return 'bad timestamp';
  if (Math.abs(nowSeconds - ts) > SIGNATURE_WINDOW_SECONDS) return 'stale timestamp';
  const expected = `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  const a = Buffer.from(expected);
  const b = Buffer.from(signature);
  return a.length === b.length && timingSafeEqual(a, b) ? null : 'signature mismatch';
}

const Envelope = z.record(z.string(), z.unknown());

function parseBody(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.includes('application/json')) return Envelope.parse(JSON.parse(raw));
  const form = Object.fromEntries(new URLSearchParams(raw));
  if (typeof form.payload === 'string') return Envelope.parse(JSON.parse(form.payload));
  return form;
}

export function createHonoReceiver(options: HonoReceiverOptions): HonoReceiver {
  const now = options.now ?? (() => Date.now() / 1000);
  const log = options.logger;
  let bolt: App | null = null;
  let running = false;

  return {
    init(app) {
      bolt = app;
    },
    async start() {
      running = true;
    },
    async stop() {
      running = false;
    },
    mount(hono) {
      hono.post(options.path ?? '/slack/events', async (c) => {
        if (!running || !bolt) return c.json({ error: 'slack front door not started' }, 503);
        const raw = await c.req.text();
        const problem = verifySlackSignature(
          options.signingSecret,
          c.req.header('x-slack-request-timestamp'),
          c.req.header('x-slack-signature'),
          raw,
          now(),
        );
        if (problem) {
          log.warn({ problem }, 'rejected a Slack request');
          return c.json({ error: 'invalid signature' }, 401);
        }
        let body: Record<string, unknown>;
        try {
          body = parseBody(raw, c.req.header('content-type') ?? '');
        } catch {
          return c.json({ error: 'unreadable body' }, 400);
        }
        if (body.type === 'url_verification') return c.json({ challenge: body.challenge });
        if (body.ssl_check) return c.body(null, 200);

        let answer: (value: unknown) => void = () => {};
        const acked = new Promise<unknown>((resolve) => {
          answer = resolve;
        });
        const retryNum = c.req.header('x-slack-retry-num');
        const event: ReceiverEvent = {
          body,
          retryNum: retryNum === undefined ? undefined : Number(retryNum),
          retryReason: c.req.header('x-slack-retry-reason'),
          customProperties: {},
          ack: async (response?: unknown) => answer(response),
        };
        void bolt
          .processEvent(event)
          .catch((err: unknown) => log.error({ err }, 'slack event handler failed'));
        const timeout = new Promise<undefined>((resolve) =>
          setTimeout(() => resolve(undefined), ACK_DEADLINE_MS).unref(),
        );
        const response = await Promise.race([acked, timeout]);
        if (response === undefined || response === '') return c.body(null, 200);
        if (typeof response === 'string') return c.text(response);
        return c.json(response as Record<string, unknown>);
      });
    },
  };
}
