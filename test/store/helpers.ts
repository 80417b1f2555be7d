import type { NewEvent, SessionEvent } from '../../src/events/schema.js';
import type { LogItem, SessionLog, Stores } from '../../src/store/types.js';

/** What a contract suite needs from an implementation under test. */
export interface StoresFixture {
  stores: Stores;
  /** Closes everything the fixture opened and removes its data (temp dir, key prefix). */
  cleanup(): Promise<void>;
  /**
   * A second, independent `Stores` over the same backing data, as another process would open
   * it (SQLite: another connection to the same file; Redis: other clients, same prefix). The
   * suite closes what it opens. Required by the cross-process tests, which fail without it.
   */
  openPeer?(): Promise<Stores>;
}

export type MakeStores = () => Promise<StoresFixture>;

export async function openPeerOf(fixture: StoresFixture): Promise<Stores> {
  if (!fixture.openPeer) {
    throw new Error('this fixture has no openPeer(); cross-process contract tests need a second Stores');
  }
  return fixture.openPeer();
}

export function userMessage(text: string): NewEvent {
  return { type: 'user.message', content: [{ type: 'text', text }] };
}

export function agentMessage(text: string): NewEvent {
  return { type: 'agent.message', content: [{ type: 'text', text }] };
}

/** The text of a user/agent message event ('' for other types). */
export function textOf(event: SessionEvent): string {
  if (event.type !== 'user.message' && event.type !== 'agent.message') return '';
  const block = event.content[0];
  return block && block.type === 'text' ? block.text : '';
}

export async function newSession(log: SessionLog, title = 'contract'): Promise<string> {
  const session = await log.createSession({ agent_id: 'agent_test', environment_id: 'env_test', title });
  return session.id;
}

/** Polls `check` until it returns true or the deadline passes (then throws `message`). */
export async function waitFor(check: () => boolean | Promise<boolean>, message: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Consumes a follow iterator in the background, collecting what it yields. */
export function collectFollow(iterable: AsyncIterable<LogItem>) {
  const items: LogItem[] = [];
  let ended = false;
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const item of iterable) items.push(item);
    } catch (error) {
      failure = error;
    } finally {
      ended = true;
    }
  })();
  return {
    items,
    events: () => items.flatMap((item) => (item.kind === 'event' ? [item.event] : [])),
    ended: () => ended,
    failure: () => failure,
    done,
  };
}
