import { Hono } from 'hono';
import { z } from 'zod';
import { eventSeq } from '../../events/ids.js';
import { type SessionEvent, type StreamDelta, UserEventParams } from '../../events/schema.js';
import type { ApiDeps } from '../context.js';
import { badRequest, notFound, notSupported, parseWith, readJson } from '../errors.js';
import { createdAtParams, LimitParam, paginate, queryList, withinCreatedAt } from '../pagination.js';

const SendBody = z.object({
  events: z.array(z.object({ type: z.string() }).loose()).min(1, 'send at least one event'),
});
const DELTA_TYPES = ['agent.message', 'agent.thinking', 'agent.tool_use'] as const;
type DeltaType = (typeof DELTA_TYPES)[number];

export interface StreamCounter {
  open: number;
}

const encoder = new TextEncoder();
const sseEvent = (event: SessionEvent) =>
  `event: ${event.type}\nid: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`;
const sseDelta = (delta: StreamDelta) => `event: ${delta.type}\ndata: ${JSON.stringify(delta)}\n\n`;

export function eventRoutes(deps: ApiDeps, streams: StreamCounter): Hono {
  const { runtime } = deps;
  const { log } = deps.stores;
  const app = new Hono();

  async function requireSession(id: string) {
    const session = await log.getSession(id);
    if (!session) throw notFound(`No session ${id}.`, 'session_not_found');
    return session;
  }

  app.get('/:id/events', async (c) => {
    const session = await requireSession(c.req.param('id'));
    const query = c.req.query();
    const q = parseWith(
      z.object({
        limit: LimitParam,
        page: z.string().nullish(),
        order: z.enum(['asc', 'desc']).default('asc'),
      }),
      query,
    );
    const createdAt = createdAtParams(query);
    const types = new Set(queryList(c.req.url, 'types'));
    let events = await log.read(session.id);
    events = events.filter(
      (e) => (types.size === 0 || types.has(e.type)) && withinCreatedAt(createdAt, e.processed_at),
    );
    if (q.order === 'desc') events.reverse();
    const page = paginate(events, q.limit, q.page);
    return c.json({ data: page.data, next_page: page.next_page });
  });

  app.post('/:id/events', async (c) => {
    const session = await requireSession(c.req.param('id'));
    const body = parseWith(SendBody, await readJson(c));
    const events = body.events.map((event, i) => {
      if (
        !['user.message', 'user.interrupt', 'user.tool_confirmation', 'user.custom_tool_result'].includes(
          event.type,
        )
      ) {
        throw notSupported(`events.${i}: event type "${event.type}"`);
      }
      return parseWith(UserEventParams, event, ['events', i]);
    });
    const stored = await runtime.send(session.id, events, { platform: 'api', user_id: 'api' });
    return c.json({ data: stored });
  });

  app.get('/:id/events/stream', async (c) => {
    const session = await requireSession(c.req.param('id'));
    const wanted = queryList(c.req.url, 'event_deltas');
    const deltaTypes = new Set<DeltaType>(
      wanted.map((t, i) => parseWith(z.enum(DELTA_TYPES), t, ['event_deltas', i])),
    );
    const lastEventId = c.req.header('last-event-id')?.trim();
    if (lastEventId && eventSeq(lastEventId) === undefined)
      throw badRequest('Last-Event-ID: not an event id of this server (sevt_...).');
    // Without Last-Event-ID the stream starts now: fix the start point before answering, so an
    // event sent right after the response headers arrive is never missed.
    const after = lastEventId || session.last_event_id || undefined;

    const abort = new AbortController();
    const stop = () => abort.abort();
    c.req.raw.signal.addEventListener('abort', stop, { once: true });
    deps.signal?.addEventListener('abort', stop, { once: true });
    const previews = new Map<string, DeltaType>();
    const logger = deps.logger.child({ sessionId: session.id });

    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        streams.open += 1;
        const write = (text: string) => {
          if (abort.signal.aborted) return;
          try {
            controller.enqueue(encoder.encode(text));
          } catch {
            abort.abort();
          }
        };
        const ping = setInterval(() => write('event: ping\ndata: {"type":"ping"}\n\n'), deps.keepAliveMs);
        const wantsDelta = (delta: StreamDelta): boolean => {
          if (delta.type === 'event_start') {
            previews.set(delta.event.id, delta.event.type);
            return deltaTypes.has(delta.event.type);
          }
          // A delta keyed by an id never announced in an event_start is tool output (agent.tool_use id).
          return deltaTypes.has(previews.get(delta.event_id) ?? 'agent.tool_use');
        };
        void (async () => {
          try {
            const items = log.follow(session.id, {
              ...(after ? { after } : {}),
              deltas: deltaTypes.size > 0,
              signal: abort.signal,
            });
            for await (const item of items) {
              if (item.kind === 'event') {
                write(sseEvent(item.event));
                if (item.event.type === 'agent.message') previews.clear();
                if (item.event.type === 'session.deleted') break;
              } else if (wantsDelta(item.delta)) {
                write(sseDelta(item.delta));
              }
            }
          } catch (err) {
            if (!abort.signal.aborted) {
              logger.warn({ err }, 'event stream failed');
              write(
                `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'The event stream failed; reconnect with Last-Event-ID.' } })}\n\n`,
              );
            }
          } finally {
            clearInterval(ping);
            streams.open -= 1;
            c.req.raw.signal.removeEventListener('abort', stop);
            deps.signal?.removeEventListener('abort', stop);
            try {
              controller.close();
            } catch {
              // already cancelled by the client
            }
          }
        })();
      },
      cancel() {
        abort.abort();
      },
    });
    return new Response(body, {
      headers: {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      },
    });
  });

  return app;
}
