/** Following a session's log (with live deltas) into a `SessionView`. */
import type { LogItem, SessionLog } from '../../store/types.js';
import { createSessionView, type SessionView, type SessionViewOptions } from './view.js';

export interface FollowViewOptions extends SessionViewOptions {
  log: SessionLog;
  sessionId: string;
  /** Start after this event id (a turn start recorded earlier); default: the beginning. */
  after?: string;
  signal: AbortSignal;
  /**
   * Called synchronously after each item that changed the view. Keep it cheap: mark things
   * dirty and let a throttle draw them, or the follower falls behind.
   */
  onChange: (view: SessionView, item: LogItem) => void;
  /** Called once after the stored backlog has been applied (live from here on). */
  onCaughtUp?: (view: SessionView) => void;
}

/**
 * Reads the stored events after `after`, then follows live (deltas included) until the
 * signal aborts. Resolves on abort; rejects only on a store error.
 */
export async function followSessionView(options: FollowViewOptions): Promise<SessionView> {
  const view = createSessionView(options);
  const { log, sessionId, signal } = options;
  let cursor = options.after;
  const backlog = await log.read(sessionId, cursor ? { after: cursor } : {});
  for (const event of backlog) {
    const item: LogItem = { kind: 'event', event };
    if (view.apply(item)) options.onChange(view, item);
    cursor = event.id;
  }
  options.onCaughtUp?.(view);
  if (signal.aborted) return view;
  try {
    for await (const item of log.follow(sessionId, { after: cursor ?? undefined, signal, deltas: true })) {
      if (signal.aborted) break;
      // The backlog was read separately; a follower that replays from `after` may repeat it.
      if (item.kind === 'event' && cursor && item.event.id <= cursor) continue;
      if (item.kind === 'event') cursor = item.event.id;
      if (view.apply(item)) options.onChange(view, item);
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
  return view;
}
