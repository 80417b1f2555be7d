/**
 * The fake Discord REST API (`/api/v10/...`): the routes discord.js 14 uses for a chat bot,
 * with Discord's validation of the limits that matter (2000-character content, embed sizes,
 * the 3-second interaction window) and its rate-limit answer on demand.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  formError,
  type Json,
  noContent,
  notFound,
  ok,
  type RateLimitRule,
  type Reply,
  rateLimitReply,
  validateMessage,
} from './limits.js';
import {
  type FakeChannel,
  type FakeMessage,
  type FakeUser,
  makeUser,
  messageJson,
  snowflake,
} from './state.js';
import type { FakeDiscordWorld } from './world.js';

export type { RateLimitRule };

export interface RecordedCall {
  method: string;
  /** Path after `/api/v10`, e.g. `/channels/123/messages`. */
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  at: number;
}

export function createRestHandler(world: FakeDiscordWorld) {
  const calls: RecordedCall[] = [];
  const rateLimits: RateLimitRule[] = [];

  function newMessage(
    channel: FakeChannel,
    author: FakeUser,
    body: Json,
    extra: Partial<FakeMessage> = {},
  ): FakeMessage {
    const now = Date.now();
    const message: FakeMessage = {
      id: snowflake(),
      channel_id: channel.id,
      ...(channel.guild_id ? { guild_id: channel.guild_id } : {}),
      author,
      content: typeof body.content === 'string' ? body.content : '',
      embeds: Array.isArray(body.embeds) ? (body.embeds as Json[]) : [],
      components: Array.isArray(body.components) ? (body.components as Json[]) : [],
      flags: typeof body.flags === 'number' ? body.flags : 0,
      ...(body.allowed_mentions
        ? { allowed_mentions: body.allowed_mentions as FakeMessage['allowed_mentions'] }
        : {}),
      ...(body.message_reference ? { message_reference: body.message_reference } : {}),
      timestamp: new Date(now).toISOString(),
      edited_timestamp: null,
      revisions: [],
      deleted: false,
      ...extra,
    };
    message.revisions.push({
      content: message.content,
      embeds: message.embeds,
      components: message.components,
      at: now,
    });
    world.messages.set(message.id, message);
    return message;
  }

  function editMessage(message: FakeMessage, body: Json): FakeMessage {
    if (typeof body.content === 'string') message.content = body.content;
    if (Array.isArray(body.embeds)) message.embeds = body.embeds as Json[];
    if (Array.isArray(body.components)) message.components = body.components as Json[];
    if (body.allowed_mentions)
      message.allowed_mentions = body.allowed_mentions as FakeMessage['allowed_mentions'];
    message.edited_timestamp = new Date().toISOString();
    message.revisions.push({
      content: message.content,
      embeds: message.embeds,
      components: message.components,
      at: Date.now(),
    });
    return message;
  }

  function rateLimited(method: string, path: string): Reply | null {
    const rule = rateLimits.find((r) => (!r.method || r.method === method) && (!r.path || r.path.test(path)));
    if (!rule) return null;
    rule.times -= 1;
    if (rule.times <= 0) rateLimits.splice(rateLimits.indexOf(rule), 1);
    return rateLimitReply(rule);
  }

  function interactionCallback(id: string, token: string, body: Json, withResponse: boolean): Reply {
    const interaction = world.interactions.get(id);
    if (!interaction || interaction.token !== token) return notFound('interaction', 10062);
    if (Date.now() - interaction.createdAt > 3000) return notFound('interaction', 10062);
    if (interaction.acknowledged) {
      return { status: 400, body: { message: 'Interaction has already been acknowledged.', code: 40060 } };
    }
    const type = body.type as number;
    const data = (body.data ?? {}) as Json;
    const channel = world.channel(interaction.channelId);
    if (!channel) return notFound('channel', 10003);
    let message: FakeMessage | undefined;
    if (type === 4 || type === 5) {
      const invalid = type === 4 ? validateMessage(data) : null;
      if (invalid) return invalid;
      message = newMessage(channel, world.bot, type === 4 ? data : { flags: data.flags }, {
        interaction_id: id,
        // A deferred reply shows "<bot> is thinking…" until it is edited.
        flags: (typeof data.flags === 'number' ? data.flags : 0) | (type === 5 ? 128 : 0),
      });
      interaction.originalMessageId = message.id;
    } else if (type === 7) {
      const target = interaction.messageId ? world.messages.get(interaction.messageId) : undefined;
      if (!target) return notFound('message', 10008);
      message = editMessage(target, data);
    } else if (type !== 6 && type !== 9) {
      return formError({ type: { _errors: [{ code: 'BASE_TYPE_CHOICES' }] } });
    }
    interaction.acknowledged = { type, at: Date.now() };
    if (!withResponse) return noContent;
    return ok({
      interaction: {
        id,
        type: interaction.type,
        response_message_id: message?.id ?? null,
        response_message_loading: type === 5,
        response_message_ephemeral: ((message?.flags ?? 0) & 64) !== 0,
      },
      resource: message ? { type, message: messageJson(message) } : { type },
    });
  }

  function webhook(
    method: string,
    appId: string,
    token: string,
    messageId: string | undefined,
    body: Json,
  ): Reply {
    if (appId !== world.applicationId) return notFound('webhook', 10015);
    const interaction = [...world.interactions.values()].find((i) => i.token === token);
    if (!interaction) return notFound('webhook', 10015);
    if (!interaction.acknowledged) return notFound('message', 10008);
    const channel = world.channel(interaction.channelId);
    if (!channel) return notFound('channel', 10003);
    if (method === 'POST' && messageId === undefined) {
      const invalid = validateMessage(body);
      if (invalid) return invalid;
      return ok(messageJson(newMessage(channel, world.bot, body, { interaction_id: interaction.id })));
    }
    const id = messageId === '@original' ? interaction.originalMessageId : messageId;
    const message = id ? world.messages.get(id) : undefined;
    if (!message) return notFound('message', 10008);
    if (method === 'GET') return ok(messageJson(message));
    if (method === 'PATCH') {
      const invalid = validateMessage(body);
      if (invalid) return invalid;
      message.flags &= ~128;
      return ok(messageJson(editMessage(message, body)));
    }
    if (method === 'DELETE') {
      message.deleted = true;
      return noContent;
    }
    return notFound('route', 0);
  }

  function route(
    method: string,
    path: string,
    query: Record<string, string>,
    body: Json,
    authorized: boolean,
  ): Reply {
    let m: RegExpMatchArray | null;
    // Interaction callbacks and webhooks are authenticated by their token, not the bot token.
    m = path.match(/^\/interactions\/(\d+)\/([^/]+)\/callback$/);
    if (m && method === 'POST') {
      return interactionCallback(m[1] as string, m[2] as string, body, query.with_response === 'true');
    }
    m = path.match(/^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/);
    if (m) {
      return webhook(
        method,
        m[1] as string,
        m[2] as string,
        m[3] === undefined ? undefined : decodeURIComponent(m[3]),
        body,
      );
    }
    if (!authorized) return { status: 401, body: { message: '401: Unauthorized', code: 0 } };

    if (path === '/gateway/bot' && method === 'GET') {
      return ok({
        url: world.gatewayUrl,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      });
    }
    if (path === '/gateway' && method === 'GET') return ok({ url: world.gatewayUrl });
    if (path === '/users/@me' && method === 'GET') return ok(world.bot);
    if ((path === '/applications/@me' || path === '/oauth2/applications/@me') && method === 'GET') {
      return ok(world.applicationJson());
    }
    if (path === '/users/@me/channels' && method === 'POST') {
      const recipient = String(body.recipient_id ?? '');
      return ok(world.dmChannel(world.users.get(recipient) ?? makeUser(recipient, `user${recipient}`)));
    }
    m = path.match(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/);
    if (m) {
      if (m[1] !== world.applicationId) return notFound('application', 10002);
      const scope = m[2] ?? 'global';
      if (method === 'PUT') {
        if (!Array.isArray(body)) return formError({ _errors: [{ code: 'BASE_TYPE_ARRAY' }] });
        const stored = (body as Json[]).map((c) => ({
          ...c,
          id: snowflake(),
          application_id: world.applicationId,
          ...(m?.[2] ? { guild_id: m[2] } : {}),
          version: snowflake(),
          default_member_permissions: c.default_member_permissions ?? null,
          type: c.type ?? 1,
        }));
        world.commands.set(scope, stored);
        return ok(stored);
      }
      if (method === 'GET') return ok(world.commands.get(scope) ?? []);
    }
    m = path.match(/^\/channels\/(\d+)$/);
    if (m && method === 'GET') {
      const channel = world.channel(m[1] as string);
      return channel ? ok(channel) : notFound('channel', 10003);
    }
    m = path.match(/^\/channels\/(\d+)\/typing$/);
    if (m && method === 'POST') {
      return world.channel(m[1] as string) ? noContent : notFound('channel', 10003);
    }
    m = path.match(/^\/channels\/(\d+)\/messages$/);
    if (m && method === 'POST') {
      const channel = world.channel(m[1] as string);
      if (!channel) return notFound('channel', 10003);
      const invalid = validateMessage(body);
      if (invalid) return invalid;
      if (!body.content && !(Array.isArray(body.embeds) && body.embeds.length > 0)) {
        return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
      }
      const message = newMessage(channel, world.bot, body);
      world.echo(message);
      return ok(messageJson(message));
    }
    m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)$/);
    if (m) {
      const message = world.messages.get(m[2] as string);
      if (!message || message.channel_id !== m[1] || message.deleted) return notFound('message', 10008);
      if (method === 'GET') return ok(messageJson(message));
      if (method === 'PATCH') {
        if (message.author.id !== world.bot.id) {
          return {
            status: 403,
            body: { message: 'Cannot edit a message authored by another user', code: 50005 },
          };
        }
        const invalid = validateMessage(body);
        if (invalid) return invalid;
        return ok(messageJson(editMessage(message, body)));
      }
      if (method === 'DELETE') {
        message.deleted = true;
        return noContent;
      }
    }
    m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)\/threads$/);
    if (m && method === 'POST') {
      const parent = world.channel(m[1] as string);
      const message = world.messages.get(m[2] as string);
      if (!parent || !message) return notFound('message', 10008);
      if (world.channel(message.id)) {
        return {
          status: 400,
          body: { message: 'A thread has already been created for this message', code: 160004 },
        };
      }
      return ok(world.createThread(parent, String(body.name ?? 'thread'), message.id));
    }
    m = path.match(/^\/channels\/(\d+)\/threads$/);
    if (m && method === 'POST') {
      const parent = world.channel(m[1] as string);
      if (!parent) return notFound('channel', 10003);
      return ok(world.createThread(parent, String(body.name ?? 'thread'), snowflake()));
    }
    m = path.match(/^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/);
    if (m) {
      const message = world.messages.get(m[2] as string);
      if (!message) return notFound('message', 10008);
      const emoji = decodeURIComponent(m[3] as string);
      if (method === 'PUT') world.botReactions.add(`${message.id}:${emoji}`);
      if (method === 'DELETE') world.botReactions.delete(`${message.id}:${emoji}`);
      return noContent;
    }
    return notFound(`route ${method} ${path}`, 0);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const prefix = '/api/v10';
    if (!url.pathname.startsWith(prefix)) {
      res.writeHead(404).end();
      return;
    }
    const path = url.pathname.slice(prefix.length);
    const method = req.method ?? 'GET';
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: Json = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Json;
      } catch {
        body = { _raw: raw };
      }
    }
    const query = Object.fromEntries(url.searchParams);
    const authorized = req.headers.authorization === `Bot ${world.token}`;
    const reply = rateLimited(method, path) ?? route(method, path, query, body, authorized);
    calls.push({ method, path, query, body, status: reply.status, at: Date.now() });
    // Like Discord, a 204 has no body and no JSON content type (discord.js would try to parse it).
    const type: Record<string, string> =
      reply.body === undefined ? {} : { 'content-type': 'application/json' };
    res.writeHead(reply.status, { ...type, ...reply.headers });
    res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
  }

  return {
    calls,
    handle,
    /** Answer the next `times` requests matching `rule` with Discord's 429. */
    rateLimit(rule: Omit<RateLimitRule, 'times'> & { times?: number }): void {
      rateLimits.push({ ...rule, times: rule.times ?? 1 });
    },
  };
}
