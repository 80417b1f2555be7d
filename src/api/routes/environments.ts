import { Hono } from 'hono';
import { z } from 'zod';
import { EnvironmentConfig } from '../../config/schema.js';
import { resourceId } from '../../events/ids.js';
import type { EnvironmentRecord } from '../../runtime/types.js';
import { type ApiDeps, nowIso } from '../context.js';
import { badRequest, notFound, notSupported, parseWith, readJson } from '../errors.js';
import { BoolParam, pageParams, paginate } from '../pagination.js';
import { ENVIRONMENT_KIND, environmentRecordOf, type StoredApiEnvironment, slugName } from '../records.js';

const dropNulls = (value: Record<string, unknown> | null | undefined) =>
  Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => v !== null && v !== undefined));

const ConfigParam = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('cloud'),
    networking: z.object({ type: z.string() }).loose().nullish(),
    packages: z
      .object({ type: z.literal('packages').optional() })
      .loose()
      .nullish(),
  }),
  z.object({ type: z.literal('self_hosted') }),
]);

/** Threadhand extension fields (`threadhand` in bodies and responses). */
const EnvironmentExtension = z
  .object({ provider: z.unknown(), e2b: z.unknown(), idle_pause_seconds: z.unknown(), vaults: z.unknown() })
  .partial()
  .strict();

const CreateBody = z.object({
  name: z.string().min(1, 'give the environment a name'),
  description: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).optional(),
  config: ConfigParam.nullish(),
  scope: z.enum(['organization', 'account']).nullish(),
  threadhand: EnvironmentExtension.optional(),
});

const UpdateBody = z.object({
  name: z.string().min(1).nullish(),
  description: z.string().nullish(),
  metadata: z.record(z.string(), z.string().nullable()).optional(),
  config: ConfigParam.nullish(),
  scope: z.enum(['organization', 'account']).nullish(),
  threadhand: EnvironmentExtension.optional(),
});

/** `config` of the wire format as EnvironmentConfig fields. */
function fromWireConfig(config: z.infer<typeof ConfigParam> | null | undefined): Record<string, unknown> {
  if (!config) return {};
  if (config.type === 'self_hosted') throw notSupported('config.type "self_hosted"');
  const out: Record<string, unknown> = {};
  if (config.networking) out.networking = dropNulls(config.networking);
  if (config.packages) {
    const { type: _type, ...packages } = config.packages;
    out.packages = dropNulls(packages);
  }
  return out;
}

/** `threadhand.provider` in metadata is the same as the `threadhand.provider` extension field. */
function providerFromMetadata(metadata: Record<string, string>): Record<string, unknown> {
  const provider = metadata['threadhand.provider'];
  return provider ? { provider } : {};
}

export function environmentToWire(record: EnvironmentRecord, displayName = record.config.name) {
  const { config } = record;
  return {
    type: 'environment' as const,
    id: record.id,
    name: displayName,
    description: config.description ?? null,
    metadata: config.metadata,
    config: {
      type: 'cloud' as const,
      networking: config.networking,
      packages: { type: 'packages' as const, ...config.packages },
    },
    created_at: record.created_at,
    updated_at: record.updated_at,
    archived_at: record.archived_at,
    threadhand: {
      source: record.source,
      provider: config.provider,
      idle_pause_seconds: config.idle_pause_seconds,
      vaults: config.vaults,
      ...(config.e2b ? { e2b: config.e2b } : {}),
    },
  };
}

function envName(name: string): string {
  const slug = slugName(name);
  if (!slug || !/^[a-z0-9]/.test(slug)) throw badRequest('name: must contain at least one letter or digit');
  return slug;
}

export function environmentRoutes(deps: ApiDeps): Hono {
  const { resources } = deps.stores;
  const app = new Hono();

  async function yamlEnvironment(id: string): Promise<EnvironmentRecord | undefined> {
    const record = await deps.catalog.getEnvironment(id);
    return record && record.source === 'yaml' ? record : undefined;
  }

  async function requireStored(id: string): Promise<StoredApiEnvironment> {
    const stored = await resources.get<StoredApiEnvironment>(ENVIRONMENT_KIND, id);
    if (stored) return stored;
    if (await yamlEnvironment(id)) {
      throw badRequest(
        `Environment "${id}" is defined in agents/environments/${id}.yaml and is read-only through the API: edit the YAML file.`,
        'environment_read_only',
      );
    }
    throw notFound(`No environment ${id}.`, 'environment_not_found');
  }

  const wire = (s: StoredApiEnvironment) => environmentToWire(environmentRecordOf(s), s.display_name);

  app.post('/', async (c) => {
    const body = parseWith(CreateBody, await readJson(c));
    const metadata = body.metadata ?? {};
    const config = parseWith(EnvironmentConfig, {
      name: envName(body.name),
      description: body.description ?? null,
      metadata,
      ...fromWireConfig(body.config),
      ...providerFromMetadata(metadata),
      ...body.threadhand,
    });
    const now = nowIso();
    const stored: StoredApiEnvironment = {
      id: resourceId('env'),
      display_name: body.name,
      created_at: now,
      updated_at: now,
      archived_at: null,
      config,
    };
    await resources.put(ENVIRONMENT_KIND, stored.id, stored);
    return c.json(wire(stored));
  });

  app.get('/', async (c) => {
    const query = c.req.query();
    const { limit, page } = pageParams(query);
    const { include_archived } = parseWith(z.object({ include_archived: BoolParam }), {
      include_archived: query.include_archived,
    });
    const yaml = (await deps.catalog.listEnvironments())
      .filter((e) => e.source === 'yaml')
      .map((e) => environmentToWire(e));
    const api = (await resources.list<StoredApiEnvironment>(ENVIRONMENT_KIND)).map(wire);
    const all = [...yaml, ...api].filter((e) => include_archived || !e.archived_at);
    const result = paginate(all, limit, page);
    return c.json({ data: result.data, next_page: result.next_page });
  });

  app.get('/:id', async (c) => {
    const id = c.req.param('id');
    const stored = await resources.get<StoredApiEnvironment>(ENVIRONMENT_KIND, id);
    if (stored) return c.json(wire(stored));
    const yaml = await yamlEnvironment(id);
    if (yaml) return c.json(environmentToWire(yaml));
    throw notFound(`No environment ${id}.`, 'environment_not_found');
  });

  app.post('/:id', async (c) => {
    const stored = await requireStored(c.req.param('id'));
    if (stored.archived_at)
      throw badRequest(`Environment ${stored.id} is archived and cannot be updated.`, 'environment_archived');
    const body = parseWith(UpdateBody, await readJson(c));
    const metadata = { ...stored.config.metadata };
    for (const [key, value] of Object.entries(body.metadata ?? {})) {
      if (value === null) delete metadata[key];
      else metadata[key] = value;
    }
    const next: Record<string, unknown> = {
      ...stored.config,
      metadata,
      ...fromWireConfig(body.config),
      ...providerFromMetadata(body.metadata?.['threadhand.provider'] ? metadata : {}),
      ...body.threadhand,
    };
    if (body.name) next.name = envName(body.name);
    if (body.description !== undefined) next.description = body.description || null;
    stored.config = parseWith(EnvironmentConfig, next);
    if (body.name) stored.display_name = body.name;
    stored.updated_at = nowIso();
    await resources.put(ENVIRONMENT_KIND, stored.id, stored);
    return c.json(wire(stored));
  });

  app.post('/:id/archive', async (c) => {
    const stored = await requireStored(c.req.param('id'));
    stored.archived_at ??= nowIso();
    stored.updated_at = nowIso();
    await resources.put(ENVIRONMENT_KIND, stored.id, stored);
    return c.json(wire(stored));
  });

  app.delete('/:id', async (c) => {
    const stored = await requireStored(c.req.param('id'));
    await resources.delete(ENVIRONMENT_KIND, stored.id);
    return c.json({ id: stored.id, type: 'environment_deleted' });
  });

  return app;
}
