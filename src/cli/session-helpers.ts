/** Looking up a session and its agent's model, shared by the session commands. */
import { modelId } from '../config/schema.js';
import type { Threadhand } from '../main.js';
import type { SessionRecord } from '../store/types.js';
import { CliError, EXIT } from './io.js';

export async function requireSession(th: Threadhand, id: string): Promise<SessionRecord> {
  const session = await th.stores.log.getSession(id);
  if (!session)
    throw new CliError(`No session ${id}. List sessions with \`threadhand sessions ls\`.`, EXIT.failed);
  return session;
}

export async function modelOf(th: Threadhand, session: SessionRecord): Promise<string | undefined> {
  const agent = await th.catalog.getAgent(session.agent_id, session.agent_version).catch(() => undefined);
  return agent ? modelId(agent.config) : undefined;
}
