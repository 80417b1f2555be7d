/**
 * The fake Discord gateway: HELLO, IDENTIFY -> READY (guilds unavailable) -> GUILD_CREATE,
 * heartbeat ACKs, and dispatches filtered by the intents the client identified with.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { guildCreatePayload, snowflake } from './state.js';
import type { FakeDiscordWorld } from './world.js';

export const Intent = {
  Guilds: 1 << 0,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  DirectMessages: 1 << 12,
  DirectMessageReactions: 1 << 13,
  MessageContent: 1 << 15,
} as const;

interface Connection {
  socket: WebSocket;
  intents: number | null;
  seq: number;
}

export interface GatewayOptions {
  heartbeatIntervalMs?: number;
}

export function createGateway(world: FakeDiscordWorld, options: GatewayOptions = {}) {
  const wss = new WebSocketServer({ noServer: true });
  const connections = new Set<Connection>();
  const identifies: Array<{ intents: number; at: number }> = [];
  let heartbeats = 0;

  function send(conn: Connection, payload: Record<string, unknown>): void {
    if (conn.socket.readyState === WebSocket.OPEN) conn.socket.send(JSON.stringify(payload));
  }

  function dispatchTo(conn: Connection, t: string, d: unknown): void {
    conn.seq += 1;
    send(conn, { op: 0, t, s: conn.seq, d });
  }

  /** Whether a client identified with `intents` gets this event (and its content). */
  function filter(intents: number, t: string, d: Record<string, unknown>): Record<string, unknown> | null {
    const inGuild = typeof d.guild_id === 'string';
    if (t === 'MESSAGE_CREATE' || t === 'MESSAGE_UPDATE') {
      if (!(intents & (inGuild ? Intent.GuildMessages : Intent.DirectMessages))) return null;
      const mentionsBot =
        Array.isArray(d.mentions) && d.mentions.some((u) => (u as { id?: string }).id === world.bot.id);
      const own = (d.author as { id?: string } | undefined)?.id === world.bot.id;
      // Without the privileged MessageContent intent, guild messages arrive with empty content.
      if (!(intents & Intent.MessageContent) && inGuild && !mentionsBot && !own) {
        return { ...d, content: '', embeds: [], attachments: [], components: [] };
      }
    }
    if (t.startsWith('MESSAGE_REACTION')) {
      if (!(intents & (inGuild ? Intent.GuildMessageReactions : Intent.DirectMessageReactions))) return null;
    }
    if (t.startsWith('GUILD_') || t.startsWith('THREAD_') || t.startsWith('CHANNEL_')) {
      if (!(intents & Intent.Guilds)) return null;
    }
    return d;
  }

  function dispatch(t: string, d: unknown): void {
    for (const conn of connections) {
      if (conn.intents === null) continue;
      const payload = filter(conn.intents, t, d as Record<string, unknown>);
      if (payload) dispatchTo(conn, t, payload);
    }
  }

  wss.on('connection', (socket: WebSocket) => {
    const conn: Connection = { socket, intents: null, seq: 0 };
    connections.add(conn);
    socket.on('close', () => connections.delete(conn));
    send(conn, {
      op: 10,
      d: { heartbeat_interval: options.heartbeatIntervalMs ?? 10_000 },
      s: null,
      t: null,
    });
    socket.on('message', (raw) => {
      let packet: { op?: number; d?: Record<string, unknown> };
      try {
        packet = JSON.parse(String(raw)) as typeof packet;
      } catch {
        socket.close(4002, 'Decode error');
        return;
      }
      if (packet.op === 1) {
        heartbeats += 1;
        send(conn, { op: 11, d: null, s: null, t: null });
      } else if (packet.op === 2) {
        const d = packet.d ?? {};
        if (d.token !== world.token) {
          socket.close(4004, 'Authentication failed.');
          return;
        }
        conn.intents = Number(d.intents ?? 0);
        identifies.push({ intents: conn.intents, at: Date.now() });
        dispatchTo(conn, 'READY', {
          v: 10,
          user: world.bot,
          guilds: world.guilds.map((g) => ({ id: g.id, unavailable: true })),
          session_id: snowflake(),
          resume_gateway_url: world.gatewayUrl,
          shard: [0, 1],
          application: { id: world.applicationId, flags: 0 },
          private_channels: [],
          presences: [],
          relationships: [],
          guild_join_requests: [],
          geo_ordered_rtc_regions: [],
          user_settings: {},
        });
        for (const guild of world.guilds) {
          const threads = [...world.threads.values()].filter((t) => t.guild_id === guild.id);
          dispatchTo(conn, 'GUILD_CREATE', guildCreatePayload(guild, world.bot, threads));
        }
      } else if (packet.op === 6) {
        // No resume support: tell the client to identify afresh.
        send(conn, { op: 9, d: false, s: null, t: null });
      }
    });
  });

  return {
    dispatch,
    identifies,
    get heartbeats() {
      return heartbeats;
    },
    get connectionCount() {
      return [...connections].filter((c) => c.intents !== null).length;
    },
    upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    /** Drops every connection the way a gateway outage does (close 4000, "reconnect"). */
    dropAll(): void {
      for (const conn of connections) conn.socket.close(4000, 'Unknown error');
    },
    close(): void {
      for (const conn of connections) conn.socket.terminate();
      wss.close();
    },
  };
}
