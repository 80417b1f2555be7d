/** What the Discord handlers share: the client, the runtime, KV records and access rules. */
import type { Client } from 'discord.js';
import type { EventAuthor } from '../../events/schema.js';
import type { Logger } from '../../logging.js';
import type { Runtime } from '../../runtime/types.js';
import type { KV } from '../../store/types.js';
import { createRecordStore, type Deduper, type RecordStore } from '../core/index.js';
import type { DiscordConfig } from './config.js';
import type { MessageRef } from './render.js';
import { messageIndex } from './render.js';

/**
 * A session drawn in Discord: where it lives and who started it. For a session bound through
 * the API the starter is its `threadhand.user_id` (empty when none was given: operators only).
 */
export interface SessionBinding {
  sessionId: string;
  channelId: string;
  guildId: string | null;
  starterId: string;
}

export interface DiscordContext {
  client: Client;
  runtime: Runtime;
  logger: Logger;
  kv: KV;
  config: DiscordConfig;
  deliveries: Deduper;
  bindings: RecordStore<SessionBinding>;
  messages: RecordStore<MessageRef>;
  /** Creates a session bound to `channelId` (a thread or a DM) and starts drawing it. */
  startSession(args: {
    channelId: string;
    guildId: string | null;
    starter: EventAuthor;
    prompt: string;
    url?: string;
  }): Promise<SessionBinding>;
  /** Throws (code `not_found`) when the configured agent or environment does not exist. */
  preflight(): Promise<void>;
  /**
   * The session bound to a channel (by its id, or `<guild>:<id>` as the API binds), starting
   * its renderer if this process is not drawing it.
   */
  sessionIn(channelId: string, guildId?: string | null): Promise<SessionBinding | undefined>;
}

export function bindingStore(kv: KV): RecordStore<SessionBinding> {
  return createRecordStore<SessionBinding>(kv, 'discord:session');
}

export { messageIndex };

export interface Actor {
  userId: string;
  roleIds: string[];
}

export function isOperator(config: DiscordConfig, actor: Actor): boolean {
  return (
    config.operatorUserIds.includes(actor.userId) ||
    actor.roleIds.some((r) => config.operatorRoleIds.includes(r))
  );
}

/** Starting and steering sessions. */
export function mayStart(config: DiscordConfig, actor: Actor): boolean {
  return config.startPolicy === 'everyone' || isOperator(config, actor);
}

/** Stopping and approving: the session's starter and operators only. */
export function mayControl(config: DiscordConfig, actor: Actor, binding: SessionBinding): boolean {
  return actor.userId === binding.starterId || isOperator(config, actor);
}

export function authorOf(user: { id: string; username: string; globalName?: string | null }): EventAuthor {
  return { platform: 'discord', user_id: user.id, display_name: user.globalName ?? user.username };
}

/** Role ids of an interaction's or message's member, whichever form discord.js gives. */
export function roleIdsOf(member: unknown): string[] {
  if (!member || typeof member !== 'object' || !('roles' in member)) return [];
  const roles = (member as { roles: unknown }).roles;
  if (Array.isArray(roles)) return roles.filter((r): r is string => typeof r === 'string');
  const cache = (roles as { cache?: Map<string, unknown> }).cache;
  return cache ? [...cache.keys()] : [];
}
