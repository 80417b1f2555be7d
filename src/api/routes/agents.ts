import { Hono } from 'hono';
import { z } from 'zod';
import { resourceId } from '../../events/ids.js';
import type { AgentRecord } from '../../runtime/types.js';
import { agentConfigFromCreate, agentConfigFromUpdate, agentToWire } from '../agent-wire.js';
import { type ApiDeps, nowIso } from '../context.js';
import { badRequest, conflict, notFound, parseWith, readJson } from '../errors.js';
import { BoolParam, createdAtParams, pageParams, paginate, withinCreatedAt } from '../pagination.js';
import { AGENT_KIND, agentRecordOf, type StoredApiAgent } from '../records.js';

const yamlReadOnly = (id: string) =>
  badRequest(
    `Agent "${id}" is defined in agents/${id}.yaml and is read-only through the API: edit the YAML file (or create an API agent with POST /v1/agents).`,
    'agent_read_only',
  );

export function agentRoutes(deps: ApiDeps): Hono {
  const { resources } = deps.stores;
  const app = new Hono();

  async function yamlAgent(id: string, version?: number): Promise<AgentRecord | undefined> {
    const record = await deps.catalog.getAgent(id, version);
    return record && record.source === 'yaml' ? record : undefined;
  }

  async function wireAgent(id: string, version?: number) {
    const stored = await resources.get<StoredApiAgent>(AGENT_KIND, id);
    if (stored) {
      const record = agentRecordOf(stored, version);
      if (record) return agentToWire(record, stored.display_name);
    } else {
      const record = await yamlAgent(id, version);
      if (record) return agentToWire(record);
    }
    const what = version === undefined ? `agent ${id}` : `version ${version} of agent ${id}`;
    throw notFound(`No ${what}.`, 'agent_not_found');
  }

  async function requireStored(id: string): Promise<StoredApiAgent> {
    const stored = await resources.get<StoredApiAgent>(AGENT_KIND, id);
    if (stored) return stored;
    if (await yamlAgent(id)) throw yamlReadOnly(id);
    throw notFound(`No agent ${id}.`, 'agent_not_found');
  }

  app.post('/', async (c) => {
    const { config, displayName } = agentConfigFromCreate(await readJson(c));
    const now = nowIso();
    const stored: StoredApiAgent = {
      id: resourceId('agent'),
      display_name: displayName,
      created_at: now,
      archived_at: null,
      versions: [{ version: 1, config, created_at: now }],
    };
    await resources.put(AGENT_KIND, stored.id, stored);
    deps.logger.info({ agentId: stored.id }, 'agent created through the API');
    return c.json(await wireAgent(stored.id));
  });

  app.get('/', async (c) => {
    const query = c.req.query();
    const { limit, page } = pageParams(query);
    const filter = parseWith(z.object({ include_archived: BoolParam }), {
      include_archived: query.include_archived,
    });
    const createdAt = createdAtParams(query);
    const yaml = (await deps.catalog.listAgents())
      .filter((a) => a.source === 'yaml')
      .map((a) => agentToWire(a));
    const api = (await resources.list<StoredApiAgent>(AGENT_KIND)).flatMap((s) => {
      const record = agentRecordOf(s);
      return record ? [agentToWire(record, s.display_name)] : [];
    });
    const all = [...yaml, ...api].filter(
      (a) => (filter.include_archived || !a.archived_at) && withinCreatedAt(createdAt, a.created_at),
    );
    const result = paginate(all, limit, page);
    return c.json({ data: result.data, next_page: result.next_page });
  });

  app.get('/:id', async (c) => {
    const { version } = parseWith(
      z.object({ version: z.coerce.number().int().min(1).optional() }),
      c.req.query(),
    );
    return c.json(await wireAgent(c.req.param('id'), version));
  });

  app.post('/:id', async (c) => {
    const stored = await requireStored(c.req.param('id'));
    if (stored.archived_at)
      throw badRequest(
        `Agent ${stored.id} is archived; archived agents cannot be updated.`,
        'agent_archived',
      );
    const latest = stored.versions[stored.versions.length - 1];
    if (!latest) throw notFound(`No agent ${stored.id}.`);
    const update = agentConfigFromUpdate(latest.config, stored.display_name, await readJson(c));
    if (update.expectedVersion !== undefined && update.expectedVersion !== latest.version) {
      throw conflict(
        `version: agent ${stored.id} is at version ${latest.version}, not ${update.expectedVersion}; retrieve it and retry.`,
      );
    }
    const unchanged =
      JSON.stringify(update.config) === JSON.stringify(latest.config) &&
      update.displayName === stored.display_name;
    if (!unchanged) {
      stored.display_name = update.displayName;
      stored.versions.push({ version: latest.version + 1, config: update.config, created_at: nowIso() });
      await resources.put(AGENT_KIND, stored.id, stored);
    }
    return c.json(await wireAgent(stored.id));
  });

  app.post('/:id/archive', async (c) => {
    const stored = await requireStored(c.req.param('id'));
    stored.archived_at ??= nowIso();
    await resources.put(AGENT_KIND, stored.id, stored);
    return c.json(await wireAgent(stored.id));
  });

  app.get('/:id/versions', async (c) => {
    const id = c.req.param('id');
    const { limit, page } = pageParams(c.req.query());
    const stored = await resources.get<StoredApiAgent>(AGENT_KIND, id);
    let versions: ReturnType<typeof agentToWire>[];
    if (stored) {
      // Newest first.
      versions = [...stored.versions]
        .reverse()
        .map((v) => agentRecordOf(stored, v.version))
        .filter((r): r is AgentRecord => r !== undefined)
        .map((r) => agentToWire(r, stored.display_name));
    } else {
      const record = await yamlAgent(id);
      if (!record) throw notFound(`No agent ${id}.`, 'agent_not_found');
      versions = [agentToWire(record)];
    }
    // Versions share the agent id: page on a version-unique key.
    const result = paginate(
      versions.map((wire) => ({ id: `v${wire.version}`, wire })),
      limit,
      page,
    );
    return c.json({
      data: result.data.map((x) => x.wire),
      next_page: result.next_page,
    });
  });

  return app;
}
