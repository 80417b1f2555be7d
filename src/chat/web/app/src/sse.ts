/**
 * A session's event stream over fetch (EventSource cannot send the API key header). Reconnects
 * after a dropped connection with `Last-Event-ID` set to the last durable event received, so
 * nothing is lost; the timeline drops any event id it already holds, so nothing is doubled.
 */
import { authHeaders, type SessionEvent, type StreamDelta } from './api.js';

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface EventStreamOptions {
  sessionId: string;
  /** Resume after this durable event id. */
  lastEventId?: string | null;
  onEvent(event: SessionEvent): void;
  onDelta(delta: StreamDelta): void;
  onState?(state: StreamState): void;
  /** 401/404 and the like: the stream stops. */
  onFatal?(status: number): void;
  signal: AbortSignal;
}

const DELTA_TYPES = ['agent.message', 'agent.thinking', 'agent.tool_use'];
const SILENCE_MS = 45_000;

export function openEventStream(options: EventStreamOptions): void {
  let lastEventId = options.lastEventId ?? null;
  let attempt = 0;
  const url = `/v1/sessions/${encodeURIComponent(options.sessionId)}/events/stream?${DELTA_TYPES.map((t) => `event_deltas[]=${encodeURIComponent(t)}`).join('&')}`;

  const dispatch = (name: string, data: string) => {
    if (!data || name === 'ping') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    if (name === 'event_start' || name === 'event_delta') {
      options.onDelta(parsed as StreamDelta);
    } else if (name !== 'error') {
      const event = parsed as SessionEvent;
      lastEventId = event.id;
      options.onEvent(event);
    }
  };

  async function connectOnce(): Promise<void> {
    // A connection that dies without closing sends nothing: the server pings every 15 s, so
    // silence for longer than SILENCE_MS means reconnect.
    const connection = new AbortController();
    const cut = () => connection.abort();
    options.signal.addEventListener('abort', cut, { once: true });
    let watchdog = setTimeout(cut, SILENCE_MS);
    const heard = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(cut, SILENCE_MS);
    };
    try {
      await readStream(connection.signal, heard);
    } finally {
      clearTimeout(watchdog);
      options.signal.removeEventListener('abort', cut);
    }
  }

  async function readStream(signal: AbortSignal, heard: () => void): Promise<void> {
    const response = await fetch(url, {
      headers: {
        accept: 'text/event-stream',
        ...authHeaders(),
        ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
      },
      signal,
      cache: 'no-store',
    });
    if (!response.ok || !response.body) {
      if (response.status >= 400 && response.status < 500) {
        options.onFatal?.(response.status);
        throw new FatalStream();
      }
      throw new Error(`stream answered ${response.status}`);
    }
    attempt = 0;
    options.onState?.('open');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      heard();
      buffer += value.replace(/\r\n?/g, '\n');
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') name = val;
          else if (field === 'data') data.push(val);
        }
        dispatch(name, data.join('\n'));
        cut = buffer.indexOf('\n\n');
      }
    }
  }

  void (async () => {
    options.onState?.('connecting');
    while (!options.signal.aborted) {
      try {
        await connectOnce();
      } catch (error) {
        if (error instanceof FatalStream) break;
      }
      if (options.signal.aborted) break;
      options.onState?.('reconnecting');
      attempt += 1;
      const wait = Math.min(5000, 250 * 2 ** Math.min(attempt, 5));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        options.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve();
          },
          { once: true },
        );
      });
    }
    options.onState?.('closed');
  })();
}

class FatalStream extends Error {}
