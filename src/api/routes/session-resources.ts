import { Hono } from 'hono';
import type { SessionRecord } from '../../store/types.js';
import { type ApiDeps, nowIso } from '../context.js';
import { badRequest, notFound, parseWith, readJson } from '../errors.js';
import { pageParams, paginate } from '../pagination.js';
import { prepareResource, resourceToWire, TokenUpdate } from '../resource-wire.js';

/**
 * `/v1/sessions/{id}/resources`: files and repositories mounted into the session's sandbox
 * (when it is provisioned, or before the next tool call once it exists).
 */
export function sessionResourceRoutes(deps: ApiDeps): Hono {
  const { sessionResources } = deps;
  const app = new Hono();

  async function requireSession(id: string): Promise<SessionRecord> {
    const session = await deps.stores.log.getSession(id);
    if (!session) throw notFound(`No session ${id}.`, 'session_not_found');
    return session;
  }

  async function requireResource(sessionId: string, id: string) {
    const resource = await sessionResources.get(sessionId, id);
    if (!resource) throw notFound(`No resource ${id} in session ${sessionId}.`, 'resource_not_found');
    return resource;
  }

  app.get('/:id/resources', async (c) => {
    const session = await requireSession(c.req.param('id'));
    const { limit, page } = pageParams(c.req.query());
    const result = paginate(await sessionResources.list(session.id), limit, page);
    return c.json({ data: result.data.map(resourceToWire), next_page: result.next_page });
  });

  app.post('/:id/resources', async (c) => {
    const session = await requireSession(c.req.param('id'));
    if (session.status === 'terminated') throw badRequest(`Session ${session.id} is terminated.`);
    const { resource, token } = await prepareResource(
      deps,
      await readJson(c),
      [],
      await sessionResources.list(session.id),
    );
    await sessionResources.put(session.id, resource, token);
    deps.logger.info(
      { sessionId: session.id, resourceId: resource.id, type: resource.type },
      'resource added',
    );
    return c.json(resourceToWire(resource));
  });

  app.get('/:id/resources/:rid', async (c) => {
    const session = await requireSession(c.req.param('id'));
    return c.json(resourceToWire(await requireResource(session.id, c.req.param('rid'))));
  });

  // Rotates a repository's token; the next clone (a new sandbox, or a retry) uses it.
  app.post('/:id/resources/:rid', async (c) => {
    const session = await requireSession(c.req.param('id'));
    const resource = await requireResource(session.id, c.req.param('rid'));
    const body = parseWith(TokenUpdate, await readJson(c));
    if (resource.type !== 'github_repository')
      throw badRequest(
        `authorization_token: resource ${resource.id} is a ${resource.type}; only github_repository resources have a token`,
      );
    const updated = { ...resource, updated_at: nowIso() };
    await sessionResources.put(session.id, updated, body.authorization_token);
    deps.logger.info({ sessionId: session.id, resourceId: resource.id }, 'resource token rotated');
    return c.json(resourceToWire(updated));
  });

  app.delete('/:id/resources/:rid', async (c) => {
    const session = await requireSession(c.req.param('id'));
    const resource = await requireResource(session.id, c.req.param('rid'));
    await sessionResources.delete(session.id, resource.id);
    return c.json({ id: resource.id, type: 'session_resource_deleted' });
  });

  return app;
}
