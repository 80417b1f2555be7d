/**
 * A fake Slack Web API over real HTTP: `POST /api/<method>` with form or JSON bodies, as
 * `@slack/web-api` sends them. Records every call, keeps the messages it was asked to post
 * (text, blocks, streaming state) so tests can assert what a person would see, and can
 * refuse streaming or answer 429 with `Retry-After`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** The answer's `ok` (false for errors, and for 429s). */
  ok: boolean;
  status: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text: string;
  blocks: unknown[];
  streaming: boolean;
  streamStartedAt?: number;
  /** Reactions the bot added. */
  reactions: string[];
  updates: number;
}

export interface FakeSlackOptions {
  teamId?: string;
  botUserId?: string;
  botId?: string;
  /** Answer `chat.startStream` with this error (e.g. `feature_not_enabled`). */
  refuseStreaming?: string;
  /** A stream older than this answers `message_not_in_streaming_state` (Slack's expiry). */
  streamMaxAgeMs?: number;
  /** Users known to `users.info`. */
  users?: Record<string, { name: string }>;
  /**
   * Workspace subdomain in `auth.test`'s `url` and in permalinks (`https://<domain>.slack.com/…`).
   * Default `threadhand-test`; `null` answers `auth.test` without a `url`.
   */
  domain?: string | null;
}

export interface FakeSlack {
  url: string;
  apiUrl: string;
  calls: RecordedCall[];
  messages: FakeMessage[];
  ephemerals: Array<{ channel: string; user: string; text: string; thread_ts?: string }>;
  /** The next `count` calls of `method` answer 429 with `Retry-After: retryAfterSec`. */
  rateLimit(method: string, count: number, retryAfterSec: number): void;
  setRefuseStreaming(error: string | undefined): void;
  /** Where `apps.connections.open` sends Socket Mode clients. */
  setSocketUrl(url: string): void;
  callsOf(method: string): RecordedCall[];
  thread(channel: string, threadTs: string): FakeMessage[];
  /** Visible text of a message: its text, or the text inside its blocks. */
  visibleText(message: FakeMessage): string;
  /** Posts a message as if a person wrote it (returns its ts); bots see it via events. */
  addUserMessage(channel: string, text: string, threadTs?: string): string;
  close(): Promise<void>;
}

let tsCounter = 0;
const nextTs = () => {
  tsCounter += 1;
  return `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
};

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw.length === 0) return {};
  if (contentType?.includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    const looksJson =
      (value.startsWith('[') || value.startsWith('{')) && key !== 'text' && key !== 'markdown_text';
    if (looksJson) {
      try {
        out[key] = JSON.parse(value);
        continue;
      } catch {
        // not JSON after all
      }
    }
    out[key] = value;
  }
  return out;
}

function blockText(blocks: unknown[]): string {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record.text === 'string') texts.push(record.text);
      for (const [key, value] of Object.entries(record))
        if (key !== 'text' || typeof value !== 'string') walk(value);
    }
  };
  walk(blocks);
  return texts.join('\n');
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const teamId = options.teamId ?? 'T0TEAM';
  const domain = options.domain === undefined ? 'threadhand-test' : options.domain;
  const calls: RecordedCall[] = [];
  const messages: FakeMessage[] = [];
  const ephemerals: FakeSlack['ephemerals'] = [];
  const limits = new Map<string, { count: number; retryAfter: number }>();
  let refuseStreaming = options.refuseStreaming;
  let socketUrl = '';

  const find = (channel: unknown, ts: unknown) => messages.find((m) => m.channel === channel && m.ts === ts);

  const handle = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    const channel = String(args.channel ?? args.channel_id ?? '');
    switch (method) {
      case 'auth.test':
        return {
          user_id: options.botUserId ?? 'U0BOT',
          bot_id: options.botId ?? 'B0BOT',
          team_id: teamId,
          user: 'threadhand',
          team: 'Test',
          ...(domain ? { url: `https://${domain}.slack.com/` } : {}),
        };
      case 'apps.connections.open':
        return { url: socketUrl };
      case 'users.info': {
        const user = options.users?.[String(args.user)];
        return { user: { id: args.user, name: user?.name ?? String(args.user), real_name: user?.name } };
      }
      case 'chat.postMessage': {
        const message: FakeMessage = {
          channel,
          ts: nextTs(),
          thread_ts: args.thread_ts as string | undefined,
          text: String(args.text ?? ''),
          blocks: (args.blocks as unknown[]) ?? [],
          streaming: false,
          reactions: [],
          updates: 0,
        };
        messages.push(message);
        return { channel, ts: message.ts, message: { text: message.text } };
      }
      case 'chat.update': {
        const message = find(channel, args.ts);
        if (!message) return { error: 'message_not_found' };
        if (message.streaming) return { error: 'cant_update_message' };
        if (args.text !== undefined) message.text = String(args.text);
        if (args.blocks !== undefined) message.blocks = args.blocks as unknown[];
        message.updates += 1;
        return { channel, ts: message.ts };
      }
      case 'chat.postEphemeral':
        ephemerals.push({
          channel,
          user: String(args.user),
          text: String(args.text ?? ''),
          thread_ts: args.thread_ts as string | undefined,
        });
        return { message_ts: nextTs() };
      case 'chat.startStream': {
        if (refuseStreaming) return { error: refuseStreaming };
        if (!channel.startsWith('D')) {
          if (!args.recipient_team_id) return { error: 'missing_recipient_team_id' };
          if (!args.recipient_user_id) return { error: 'missing_recipient_user_id' };
        }
        const message: FakeMessage = {
          channel,
          ts: nextTs(),
          thread_ts: args.thread_ts as string | undefined,
          text: String(args.markdown_text ?? ''),
          blocks: [],
          streaming: true,
          streamStartedAt: Date.now(),
          reactions: [],
          updates: 0,
        };
        messages.push(message);
        return { channel, ts: message.ts };
      }
      case 'chat.appendStream':
      case 'chat.stopStream': {
        const message = find(channel, args.ts);
        if (!message) return { error: 'message_not_found' };
        const expired =
          options.streamMaxAgeMs !== undefined &&
          Date.now() - (message.streamStartedAt ?? 0) > options.streamMaxAgeMs;
        if (!message.streaming || expired) {
          message.streaming = false;
          return { error: 'message_not_in_streaming_state' };
        }
        message.text += String(args.markdown_text ?? '');
        if (method === 'chat.stopStream') {
          message.streaming = false;
          if (args.blocks) message.blocks = args.blocks as unknown[];
        }
        return { channel, ts: message.ts };
      }
      case 'reactions.add': {
        const message = find(channel, args.timestamp);
        if (message && !message.reactions.includes(String(args.name)))
          message.reactions.push(String(args.name));
        return {};
      }
      case 'assistant.threads.setStatus':
      case 'reactions.remove':
        return {};
      case 'chat.getPermalink':
        // Slack's form: the workspace domain, then `p` + the ts without its dot.
        if (!channel || !args.message_ts) return { error: 'invalid_arguments' };
        return {
          channel,
          permalink: `https://${domain ?? 'threadhand-test'}.slack.com/archives/${channel}/p${String(args.message_ts).replace('.', '')}`,
        };
      default:
        return { error: 'unknown_method' };
    }
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
      let args: Record<string, unknown>;
      try {
        args = parseBody(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']);
      } catch {
        res.writeHead(400).end();
        return;
      }
      const limit = limits.get(method);
      if (limit && limit.count > 0) {
        limit.count -= 1;
        calls.push({ method, args, at: Date.now(), ok: false, status: 429 });
        res.writeHead(429, { 'Retry-After': String(limit.retryAfter), 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      const result = handle(method, args);
      const ok = result.error === undefined;
      calls.push({ method, args, at: Date.now(), ok, status: 200 });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok, ...result }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    apiUrl: `${url}/api/`,
    calls,
    messages,
    ephemerals,
    rateLimit(method, count, retryAfter) {
      limits.set(method, { count, retryAfter });
    },
    setRefuseStreaming(error) {
      refuseStreaming = error;
    },
    setSocketUrl(value) {
      socketUrl = value;
    },
    callsOf(method) {
      return calls.filter((c) => c.method === method);
    },
    thread(channel, threadTs) {
      return messages.filter((m) => m.channel === channel && (m.thread_ts === threadTs || m.ts === threadTs));
    },
    visibleText(message) {
      return [message.text, blockText(message.blocks)].filter((t) => t.length > 0).join('\n');
    },
    addUserMessage(channel, text, threadTs) {
      const ts = nextTs();
      messages.push({
        channel,
        ts,
        thread_ts: threadTs,
        text,
        blocks: [],
        streaming: false,
        reactions: [],
        updates: 0,
      });
      return ts;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
