/**
 * MCP clients kept per session across runs: a session's wakes reuse its connections (a stdio
 * server keeps its process and its state, an HTTP server its MCP session), and they are closed
 * once the session has had no run for the idle time. A connection that died is replaced on
 * the next run instead of being handed out again.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';

interface Entry {
  /** Identifies the server config and resolved headers the client was made for. */
  key: string;
  client: Promise<Client>;
  dead: boolean;
}

interface SessionState {
  holds: number;
  timer?: NodeJS.Timeout;
  servers: Map<string, Entry>;
  /** The connection error last reported per server, so a dead server is reported once. */
  reported: Map<string, string>;
}

/** One run's use of a session's clients. */
export interface SessionHold {
  /**
   * The session's client for a server, connecting when there is none, when it died, or when
   * the server's config changed. `reused` says it was made by an earlier run.
   */
  client(
    name: string,
    key: string,
    connect: () => Promise<Client>,
  ): Promise<{ client: Client; reused: boolean }>;
  /** Closes a client that stopped answering, so the next `client()` reconnects. */
  discard(name: string, client: Client): Promise<void>;
  /** True when this connection error was not already reported for this session and server. */
  firstReport(name: string, message: string): boolean;
  /** Clears a server's reported error after it connected again. */
  recovered(name: string): void;
  /** Ends the run's hold; the session's clients close after the idle time unless a run holds them. */
  release(): void;
}

export interface SessionClients {
  hold(sessionId: string): SessionHold;
  /** Closes every session's clients now (shutdown). */
  closeAll(): Promise<void>;
}

async function closeEntry(entry: Entry): Promise<void> {
  entry.dead = true;
  await entry.client.then((c) => c.close()).catch(() => undefined);
}

export function createSessionClients(options: { idleTimeoutMs: number }): SessionClients {
  const sessions = new Map<string, SessionState>();

  const expire = (sessionId: string, state: SessionState) => {
    if (state.holds > 0 || sessions.get(sessionId) !== state) return;
    sessions.delete(sessionId);
    for (const entry of state.servers.values()) void closeEntry(entry);
  };

  return {
    hold(sessionId) {
      let state = sessions.get(sessionId);
      if (!state) {
        state = { holds: 0, servers: new Map(), reported: new Map() };
        sessions.set(sessionId, state);
      }
      const held = state;
      clearTimeout(held.timer);
      held.timer = undefined;
      held.holds += 1;
      let released = false;
      return {
        async client(name, key, connect) {
          const existing = held.servers.get(name);
          if (existing && existing.key === key && !existing.dead) {
            return { client: await existing.client, reused: true };
          }
          if (existing) {
            held.servers.delete(name);
            void closeEntry(existing);
          }
          const entry: Entry = { key, dead: false, client: connect() };
          held.servers.set(name, entry);
          try {
            const client = await entry.client;
            // A stdio server that exits or a transport that closes marks the client for replacement.
            client.onclose = () => {
              entry.dead = true;
            };
            return { client, reused: false };
          } catch (error) {
            if (held.servers.get(name) === entry) held.servers.delete(name);
            throw error;
          }
        },
        async discard(name, client) {
          const entry = held.servers.get(name);
          if (entry && (await entry.client.catch(() => undefined)) === client) {
            held.servers.delete(name);
            await closeEntry(entry);
          } else {
            await client.close().catch(() => undefined);
          }
        },
        firstReport(name, message) {
          if (held.reported.get(name) === message) return false;
          held.reported.set(name, message);
          return true;
        },
        recovered(name) {
          held.reported.delete(name);
        },
        release() {
          if (released) return;
          released = true;
          held.holds -= 1;
          if (held.holds > 0) return;
          // Unref'd: an idle session's connections never keep the process alive by themselves.
          held.timer = setTimeout(() => expire(sessionId, held), options.idleTimeoutMs);
          held.timer.unref();
        },
      };
    },

    async closeAll() {
      const states = [...sessions.values()];
      sessions.clear();
      await Promise.all(
        states.flatMap((state) => {
          clearTimeout(state.timer);
          return [...state.servers.values()].map(closeEntry);
        }),
      );
    },
  };
}
