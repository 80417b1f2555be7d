/**
 * What the log says the harness must do next. Pure functions over events, so recovery after
 * a crash follows the same rules as a normal wake.
 */
import type { EventOf, SessionEvent } from '../events/schema.js';

export type ToolUseEvent =
  | EventOf<'agent.tool_use'>
  | EventOf<'agent.custom_tool_use'>
  | EventOf<'agent.mcp_tool_use'>;

export interface OpenToolUse {
  use: ToolUseEvent;
  confirmation?: EventOf<'user.tool_confirmation'>;
  /** True when a run that has since ended (or crashed) could already have seen the confirmation. */
  confirmationStale: boolean;
}

const INPUT_TYPES = new Set(['user.message', 'user.tool_confirmation', 'user.custom_tool_result']);

export function isInputEvent(e: SessionEvent): boolean {
  return INPUT_TYPES.has(e.type);
}

export function lastIndexOf(events: SessionEvent[], pred: (e: SessionEvent) => boolean): number {
  for (let i = events.length - 1; i >= 0; i--) if (pred(events[i]!)) return i;
  return -1;
}

/** Tool uses with no result yet, in log order, with any confirmation found for them. */
export function openToolUses(events: SessionEvent[]): OpenToolUse[] {
  const open = new Map<string, OpenToolUse>();
  let runningSeen = 0;
  const confirmationRun = new Map<string, number>();
  for (const e of events) {
    switch (e.type) {
      case 'session.status_running':
        runningSeen++;
        break;
      case 'agent.tool_use':
      case 'agent.custom_tool_use':
      case 'agent.mcp_tool_use':
        open.set(e.id, { use: e, confirmationStale: false });
        break;
      case 'agent.tool_result':
        open.delete(e.tool_use_id);
        break;
      case 'agent.mcp_tool_result':
        open.delete(e.mcp_tool_use_id);
        break;
      case 'user.custom_tool_result':
        open.delete(e.custom_tool_use_id);
        break;
      case 'user.tool_confirmation': {
        const entry = open.get(e.tool_use_id);
        if (entry && !entry.confirmation) {
          entry.confirmation = e;
          confirmationRun.set(e.tool_use_id, runningSeen);
        }
        break;
      }
      default:
        break;
    }
  }
  // A confirmation followed by two or more status_running events (the current run's and an
  // earlier one's) was visible to a run that may have started the tool.
  for (const [id, seenAt] of confirmationRun) {
    const entry = open.get(id);
    if (entry) entry.confirmationStale = runningSeen - seenAt >= 2;
  }
  return [...open.values()];
}

export interface WakeAssessment {
  /**
   * Some input (message, confirmation, custom result) arrived after the last idle, or a
   * confirmation no run has acted on yet (it can land just before the idle of a run that was
   * busy with another call).
   */
  newInput: boolean;
  /** The last run started and never reached idle (crash, kill -9, lost lease). */
  crashedRun: boolean;
  terminated: boolean;
}

export function assess(events: SessionEvent[]): WakeAssessment {
  const lastIdle = lastIndexOf(events, (e) => e.type === 'session.status_idle');
  const lastRunning = lastIndexOf(events, (e) => e.type === 'session.status_running');
  const terminated = events.some(
    (e) => e.type === 'session.status_terminated' || e.type === 'session.deleted',
  );
  let newInput = false;
  for (let i = lastIdle + 1; i < events.length; i++) {
    if (isInputEvent(events[i]!)) {
      newInput = true;
      break;
    }
  }
  if (!newInput && !terminated)
    newInput = openToolUses(events).some((o) => o.confirmation && !o.confirmationStale);
  return { newInput, crashedRun: lastRunning > lastIdle, terminated };
}
