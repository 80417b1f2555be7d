import { Hono } from 'hono';
import { z } from 'zod';
import { UserMessageParams } from '../../events/schema.js';
import type { SessionRecord, SessionStatus, ThreadBinding } from '../../store/types.js';
import { type ApiDeps, nowIso } from '../context.js';
import { badRequest, notFound, notSupported, parseWith, readJson } from '../errors.js';
import {
  BoolParam,
  createdAtParams,
  LimitParam,
  paginate,
  queryList,
  withinCreatedAt,
} from '../pagination.js';
import { type PreparedResource, prepareResource } from '../resource-wire.js';
import type { SessionView } from '../session-wire.js';

const AgentRef = z.union([
  z.string().min(1),
  z.object({ type: z.literal('agent'), id: z.string().min(1), version: z.number().int().min(1).optional() }),
  z.object({ type: z.literal('agent_with_overrides') }).loose(),
]);

const CreateBody = z.object({
  agent: AgentRef,
  environment_id: z.string().min(1).optional(),
  initial_events: z.array(z.object({ type: z.string() }).loose()).optional(),
  metadata: z.record(z.string(), z.string()).optional(),
  title: z.string().nullish(),
  vault_ids: z.array(z.string()).optional(),
  resources: z.array(z.unknown()).optional(),
  budget: z.unknown().optional(),
});

const UpdateBody = z.object({
  agent: z.unknown().optional(),
  budget: z.unknown().optional(),
  metadata: z.record(z.string(), z.string().nullable()).nullish(),
  title: z.string().nullish(),
  vault_ids: z.array(z.string()).optional(),
});

const STATUSES = ['idle', 'running', 'rescheduling', 'terminated'] as const;

/**
 * Chat thread bindings through metadata: `threadhand.slack_thread` / `threadhand.discord_thread`
 * (the platform's thread key), or `threadhand.platform` + `threadhand.thread`.
 */
export function bindingFromMetadata(metadata: Record<string, string | null>): ThreadBinding | undefined {
  const slack = metadata['threadhand.slack_thread'];
  if (slack) return { platform: 'slack', thread: slack };
  const discord = metadata['threadhand.discord_thread'];
  if (discord) return { platform: 'discord', thread: discord };
  const platform = metadata['threadhand.platform'];
  const thread = metadata['threadhand.thread'];
  if (platform && thread) {
    const parsed = z.enum(['slack', 'discord', 'web', 'api', 'cli']).safeParse(platform);
    if (!parsed.success)
      throw badRequest('metadata.threadhand.platform: use slack, discord, web, api or cli');
    return {
      platform: parsed.data,
      thread,
      ...(metadata['threadhand.thread_url'] ? { url: metadata['threadhand.thread_url'] } : {}),
    };
  }
  return undefined;
}

/**
 * The metadata a chat front door reads to draw a session into its thread and to decide who may
 * control it there: for Slack `slack_team` / `slack_channel` / `slack_thread_ts` (from a
 * `T…:C…:<thread_ts>` key) and `slack_user`; for Discord `discord.guild` (from a
 * `<guild>:<thread>` key) and `discord.starter`. The user is `threadhand.user_id`, if given.
 */
function renderMetadata(binding: ThreadBinding | undefined, metadata: Record<string, string | null>) {
  const user = metadata['threadhand.user_id'];
  if (binding?.platform === 'slack') {
    const match = /^([^:]+):([^:]+):(.+)$/.exec(binding.thread);
    if (!match)
      throw badRequest('metadata.threadhand.slack_thread: use "<team id>:<channel id>:<thread_ts>"');
    return {
      slack_team: match[1] as string,
      slack_channel: match[2] as string,
      slack_thread_ts: match[3] as string,
      ...(user ? { slack_user: user } : {}),
    };
  }
  if (binding?.platform === 'discord') {
    const match = /^([^:]+):([^:]+)$/.exec(binding.thread);
    return {
      ...(match ? { 'discord.guild': match[1] as string } : {}),
      ...(user ? { 'discord.starter': user } : {}),
    };
  }
  return {};
}

/** Chat platforms whose front doors draw sessions bound from outside (announced bindings). */
const announced = (binding: ThreadBinding | undefined) =>
  binding?.platform === 'slack' || binding?.platform === 'discord';

export function sessionRoutes(deps: ApiDeps, view: SessionView): Hono {
  const { runtime, vaults } = deps;
  const { log } = deps.stores;
  const app = new Hono();

  async function requireSession(id: string): Promise<SessionRecord> {
    const session = await log.getSession(id);
    if (!session) throw notFound(`No session ${id}.`, 'session_not_found');
    return session;
  }

  async function checkVaults(ids: string[] | undefined): Promise<void> {
    for (const [i, id] of (ids ?? []).entries()) {
      if (!(await vaults.getVault(id))) throw badRequest(`vault_ids.${i}: no vault ${id}`);
    }
  }

  app.post('/', async (c) => {
    const body = parseWith(CreateBody, await readJson(c));
    if (typeof body.agent !== 'string' && body.agent.type === 'agent_with_overrides')
      throw notSupported('agent type "agent_with_overrides"');
    if (body.budget !== undefined) throw notSupported("budget (use the agent's threadhand.budget)");
    const initialEvents = (body.initial_events ?? []).map((event, i) => {
      if (event.type !== 'user.message')
        throw notSupported(`initial_events.${i}: event type "${event.type}"`);
      return parseWith(UserMessageParams, event, ['initial_events', i]);
    });
    await checkVaults(body.vault_ids);
    const resources: PreparedResource[] = [];
    for (const [i, raw] of (body.resources ?? []).entries())
      resources.push(
        await prepareResource(
          deps,
          raw,
          ['resources', i],
          resources.map((r) => r.resource),
        ),
      );
    const agent = typeof body.agent === 'string' ? { id: body.agent } : body.agent;
    const binding = bindingFromMetadata(body.metadata ?? {});
    const metadata = { ...renderMetadata(binding, body.metadata ?? {}), ...body.metadata };
    const session = await runtime.createSession({
      agent: agent.id,
      ...('version' in agent && agent.version !== undefined ? { agentVersion: agent.version } : {}),
      ...(body.environment_id ? { environment: body.environment_id } : {}),
      title: body.title ?? null,
      metadata,
      vault_ids: body.vault_ids ?? [],
      binding,
      announce: announced(binding),
      // With resources, the first events wait until the resources are stored (a run may start at once).
      initialEvents: resources.length > 0 ? [] : initialEvents,
      author: { platform: 'api', user_id: 'api' },
    });
    if (resources.length === 0) return c.json(await view.toWire(session));
    for (const { resource, token } of resources) await deps.sessionResources.put(session.id, resource, token);
    if (initialEvents.length > 0)
      await runtime.send(session.id, initialEvents, { platform: 'api', user_id: 'api' });
    return c.json(await view.toWire((await log.getSession(session.id)) ?? session));
  });

  app.get('/', async (c) => {
    const query = c.req.query();
    const q = parseWith(
      z.object({
        limit: LimitParam,
        page: z.string().nullish(),
        order: z.enum(['asc', 'desc']).default('desc'),
        include_archived: BoolParam,
        agent_id: z.string().optional(),
        agent_version: z.coerce.number().int().optional(),
        statuses: z.array(z.enum(STATUSES)).optional(),
      }),
      {
        ...query,
        statuses: queryList(c.req.url, 'statuses'),
      },
    );
    const createdAt = createdAtParams(query);
    // No deployments or memory stores exist here; ignoring the filter would list every session.
    for (const name of ['deployment_id', 'memory_store_id'])
      if (query[name]) throw notSupported(`sessions.list filter ${name}`);
    const statuses = q.statuses && q.statuses.length > 0 ? (q.statuses as SessionStatus[]) : undefined;
    const all: SessionRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await log.listSessions({
        limit: 1000,
        order: 'asc',
        includeArchived: q.include_archived ?? false,
        ...(statuses ? { statuses } : {}),
        ...(cursor ? { cursor } : {}),
      });
      all.push(...page.data);
      cursor = page.next ?? undefined;
    } while (cursor);
    const matching = all.filter(
      (s) =>
        (!q.agent_id || s.agent_id === q.agent_id) &&
        // As in the wire format, agent_version narrows an agent_id filter and is ignored alone.
        (!q.agent_id || q.agent_version === undefined || s.agent_version === q.agent_version) &&
        withinCreatedAt(createdAt, s.created_at),
    );
    if (q.order === 'desc') matching.reverse();
    const page = paginate(matching, q.limit, q.page);
    return c.json({
      data: await Promise.all(page.data.map((s) => view.toWire(s))),
      next_page: page.next_page,
      prev_page: page.prev_page,
    });
  });

  app.get('/:id', async (c) => c.json(await view.toWire(await requireSession(c.req.param('id')))));

  app.post('/:id', async (c) => {
    const session = await requireSession(c.req.param('id'));
    const body = parseWith(UpdateBody, await readJson(c));
    if (body.agent !== undefined) throw notSupported("updating a session's agent");
    if (body.budget !== undefined) throw notSupported('budget');
    await checkVaults(body.vault_ids);
    let metadata = session.metadata;
    let binding: ThreadBinding | undefined;
    if (body.metadata === null) metadata = {};
    else if (body.metadata) {
      metadata = { ...session.metadata };
      for (const [k, v] of Object.entries(body.metadata)) {
        if (v === null) delete metadata[k];
        else metadata[k] = v;
      }
      binding = bindingFromMetadata(body.metadata);
      // The new binding's render keys replace the old ones; keys given in the body still win.
      for (const [k, v] of Object.entries(renderMetadata(binding, metadata)))
        if (!(k in body.metadata)) metadata[k] = v;
    }
    const updated = await log.updateSession(session.id, {
      metadata,
      ...(body.title !== undefined ? { title: body.title ?? null } : {}),
      ...(body.vault_ids ? { vault_ids: body.vault_ids } : {}),
    });
    // After the metadata is stored: the front door reads it when it takes the binding.
    if (binding) await runtime.bindThread(session.id, binding, { announce: announced(binding) });
    return c.json(await view.toWire(updated));
  });

  app.post('/:id/archive', async (c) => {
    const session = await requireSession(c.req.param('id'));
    const updated = session.archived_at
      ? session
      : await log.updateSession(session.id, { archived_at: nowIso() });
    return c.json(await view.toWire(updated));
  });

  app.delete('/:id', async (c) => {
    const session = await requireSession(c.req.param('id'));
    await runtime.deleteSession(session.id);
    await deps.sessionResources.deleteSession(session.id);
    view.forget(session.id);
    return c.json({ id: session.id, type: 'session_deleted' });
  });

  // Session resources: routes/session-resources.ts.

  return app;
}
