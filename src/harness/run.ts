/**
 * One run of a session: from `session.status_running` to `session.status_idle`. Every step
 * is appended to the log before it is acted on (a tool_use before the tool runs), so a run
 * killed at any point resumes elsewhere without running anything twice.
 */
import type { NewEvent, SessionEvent, StopReason } from '../events/schema.js';
import type { Sandbox } from '../sandbox/types.js';
import type { Lease } from '../store/types.js';
import { type Tool, type ToolResult, type Toolset, textResult } from '../tools/types.js';
import { createModelSteps } from './model-steps.js';
import { isInputEvent, type OpenToolUse, openToolUses, type ToolUseEvent } from './state.js';
import type { BeforeToolCall, HarnessOptions, SessionContext } from './types.js';

export interface RunOptions extends HarnessOptions {
  ctx: SessionContext;
  lease: Lease;
  events: SessionEvent[];
  controller: AbortController;
}

const INTERRUPTED =
  'The run was interrupted before this tool call finished; it was not run again. Check its effects before retrying.';
const USER_INTERRUPTED = 'Interrupted by the user.';

export function createRun(options: RunOptions) {
  const { ctx, lease, log, logger, controller } = options;
  const sessionId = ctx.session.id;
  const events = [...options.events];
  const signal = controller.signal;
  let lastId = events[events.length - 1]?.id;
  let runStartId = '';
  /** The last answer ended in `pause_turn`: it is not the end of the turn. */
  let paused = false;
  let toolset: Toolset | undefined;
  let sandbox: Promise<Sandbox> | undefined;
  /** Set when a budget stopped or refused a tool call: the turn ends after the open calls. */
  let budgetStop: string | undefined;
  /** A sandbox whose active time this run records (its provider reports none itself). */
  let metered: { box: Sandbox; provider: string; recordedUpTo: number } | undefined;

  /** The sandbox time accrued since the last record, as a span (none when nothing accrued). */
  const sandboxTime = (always: boolean): NewEvent[] => {
    if (!metered) return [];
    const now = metered.box.counters().activeSeconds;
    const seconds = Math.round((now - metered.recordedUpTo) * 1000) / 1000;
    if (seconds <= 0 && !always) return [];
    metered.recordedUpTo = now;
    // Locally nothing runs between execs: the end of a run is where the sandbox pauses.
    return [
      {
        type: 'span.sandbox_operation',
        operation: 'pause',
        provider: metered.provider,
        sandbox_id: metered.box.id,
        duration_ms: 0,
        is_error: false,
        active_seconds: Math.max(0, seconds),
      },
    ];
  };

  const append = async (batch: NewEvent[]): Promise<SessionEvent[]> => {
    // The run's sandbox time lands just before its idle, so the turn's footer includes it.
    const idleAt = batch.findIndex((e) => e.type === 'session.status_idle');
    const events =
      idleAt >= 0 ? [...batch.slice(0, idleAt), ...sandboxTime(true), ...batch.slice(idleAt)] : batch;
    return log.append(sessionId, events, { fencingToken: lease.token });
  };

  /** Brings `events` up to date with the log (our appends and everyone else's). */
  const sync = async () => {
    const more = await log.read(sessionId, lastId ? { after: lastId } : {});
    for (const e of more) events.push(e);
    if (more.length > 0) lastId = more[more.length - 1]!.id;
  };

  const follower = new AbortController();
  const watchForInterrupt = async (after: string) => {
    try {
      for await (const item of log.follow(sessionId, { after, signal: follower.signal })) {
        if (item.kind !== 'event') continue;
        const t = item.event.type;
        if (t === 'user.interrupt') controller.abort('interrupt');
        if (t === 'session.status_terminated' || t === 'session.deleted') controller.abort('terminated');
      }
    } catch (error) {
      if (!follower.signal.aborted) logger.warn({ sessionId, err: error }, 'interrupt watcher stopped');
    }
  };

  const toolFor = (use: ToolUseEvent): Tool | undefined => {
    if (use.type === 'agent.mcp_tool_use') return toolset?.get(`${use.mcp_server_name}__${use.name}`);
    return toolset?.get(use.name);
  };

  const resultEvent = (use: ToolUseEvent, result: ToolResult): NewEvent =>
    use.type === 'agent.mcp_tool_use'
      ? {
          type: 'agent.mcp_tool_result',
          mcp_tool_use_id: use.id,
          content: result.content,
          is_error: result.is_error ?? false,
        }
      : {
          type: 'agent.tool_result',
          tool_use_id: use.id,
          content: result.content,
          is_error: result.is_error ?? false,
        };

  const runTool = async (
    use: ToolUseEvent,
    stopAfter?: Extract<BeforeToolCall, { action: 'continue' }>['stopAfter'],
  ): Promise<void> => {
    const tool = toolFor(use);
    const started = performance.now();
    let result: ToolResult;
    if (!tool?.run) {
      result = textResult(
        `There is no tool named "${use.name}" in this session. Use one of: ${toolset
          ?.list()
          .map((t) => t.name)
          .join(', ')}.`,
        true,
      );
    } else {
      const aborted = new Promise<ToolResult>((resolve) => {
        const onAbort = () => resolve(textResult(USER_INTERRUPTED, true));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
      // The wall-time budget stops the tool itself (its signal) and answers the call at once.
      const budget = new AbortController();
      let budgetTimer: NodeJS.Timeout | undefined;
      const outOfTime = new Promise<ToolResult>((resolve) => {
        if (!stopAfter) return;
        budgetTimer = setTimeout(() => {
          budgetStop ??= stopAfter.message;
          budget.abort('budget_reached');
          resolve(textResult(stopAfter.result, true));
        }, stopAfter.ms);
      });
      const run = tool
        .run(use.input, {
          sessionId,
          toolUseId: use.id,
          signal: stopAfter ? AbortSignal.any([signal, budget.signal]) : signal,
          onProgress: (text) =>
            log.publishDelta(sessionId, {
              type: 'event_delta',
              event_id: use.id,
              delta: { type: 'content_delta', content: { type: 'text', text } },
            }),
          sandbox: () => {
            sandbox ??= options
              .sandboxFor(ctx)
              .then(async ({ sandbox: box, operation, recordActiveTime }) => {
                if (recordActiveTime)
                  metered = {
                    box,
                    provider: operation?.provider ?? ctx.environment.provider,
                    recordedUpTo: box.counters().activeSeconds,
                  };
                if (operation) {
                  await append([
                    { type: 'span.sandbox_operation', sandbox_id: box.id, ...operation, is_error: false },
                  ]);
                  logger.info({ sessionId, ...operation, sandboxId: box.id }, 'sandbox ready');
                }
                return box;
              });
            return sandbox;
          },
        })
        .catch((error: unknown) => {
          logger.warn({ sessionId, tool: use.name, err: error }, 'tool threw');
          return textResult(
            `The tool failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
            true,
          );
        });
      // The race makes an interrupt take effect at once even if a tool ignores its signal.
      result = await Promise.race([run, aborted, outOfTime]);
      clearTimeout(budgetTimer);
      // On shutdown or a lost lease the call stays open: the next run records it as interrupted.
      if (signal.aborted && signal.reason !== 'interrupt') return;
    }
    await append([resultEvent(use, result)]);
    // Never the input or output: either may hold secrets.
    logger.info(
      {
        sessionId,
        tool: use.name,
        ...(use.type === 'agent.mcp_tool_use' ? { mcpServer: use.mcp_server_name } : {}),
        toolUseId: use.id,
        duration_ms: Math.round(performance.now() - started),
        is_error: result.is_error ?? false,
      },
      'tool call finished',
    );
  };

  /** Runs a tool call within the budget: refused once the budget is used up, else timed. */
  const runWithinBudget = async (use: ToolUseEvent): Promise<void> => {
    const verdict = await options.hooks?.beforeToolCall?.(ctx, events, use.id);
    if (verdict?.action === 'stop') {
      budgetStop ??= verdict.message;
      await append([resultEvent(use, textResult(verdict.result, true))]);
      return;
    }
    await runTool(use, verdict?.stopAfter);
  };

  /** Answers open tool calls that will not run, so the model's context stays valid. */
  const closeOpen = async (open: OpenToolUse[], text: string) => {
    const batch = open
      .filter((o) => o.use.type !== 'agent.custom_tool_use' || text !== INTERRUPTED)
      .map((o) =>
        o.use.type === 'agent.custom_tool_use'
          ? ({
              type: 'user.custom_tool_result',
              custom_tool_use_id: o.use.id,
              content: [{ type: 'text', text }],
              is_error: true,
            } as NewEvent)
          : resultEvent(o.use, textResult(text, true)),
      );
    if (batch.length > 0) await append(batch);
  };

  const idle = async (stop_reason: StopReason) => {
    await append([{ type: 'session.status_idle', stop_reason, stop_details: null }]);
  };

  const finishInterrupted = async () => {
    if (signal.reason === 'terminated' || signal.reason === 'lease_lost' || signal.reason === 'shutdown')
      return;
    await sync();
    await closeOpen(openToolUses(events), USER_INTERRUPTED);
    await idle({ type: 'end_turn' });
  };

  /** Handles open tool calls; returns the ids still waiting for the user. */
  const settleToolCalls = async (): Promise<string[]> => {
    const waiting: string[] = [];
    const handled = new Set<string>();
    const lastUserMessage = events.findLastIndex((e) => e.type === 'user.message');
    // The open calls are read again after each one is settled: a confirmation for a later call
    // may have arrived while an earlier one ran.
    for (;;) {
      const o = openToolUses(events).find((x) => !handled.has(x.use.id));
      if (!o) break;
      handled.add(o.use.id);
      if (signal.aborted) return waiting;
      const use = o.use;
      // The user "moved on" when they wrote a new message after we went idle waiting for them
      // (steering that arrived while the model was still answering does not count).
      const at = events.indexOf(use);
      const waitedAt = events.findIndex((e, i) => i > at && e.type === 'session.status_idle');
      const movedOn = waitedAt >= 0 && lastUserMessage > waitedAt;
      if (use.type === 'agent.custom_tool_use') {
        if (movedOn) await closeOpen([o], 'No result: the user sent a new message instead.');
        else waiting.push(use.id);
        continue;
      }
      if (o.confirmation) {
        if (o.confirmation.result === 'deny') {
          const why = o.confirmation.deny_message ? `: ${o.confirmation.deny_message}` : '.';
          await append([resultEvent(use, textResult(`The user denied this tool call${why}`, true))]);
        } else if (o.confirmationStale) {
          await append([resultEvent(use, textResult(INTERRUPTED, true))]);
        } else {
          await runWithinBudget(use);
        }
        await sync();
        continue;
      }
      if (use.evaluation?.type === 'always_ask') {
        if (movedOn) await closeOpen([o], 'Not run: the user sent a new message instead of approving it.');
        else waiting.push(use.id);
        continue;
      }
      // An always-allowed call from an earlier run that never got its result: that run died
      // mid-call. Never run it silently again.
      if (use.id < runStartId) await append([resultEvent(use, textResult(INTERRUPTED, true))]);
      else await runWithinBudget(use);
      await sync();
    }
    return waiting;
  };

  const { callModel, compactIfNeeded } = createModelSteps({
    options,
    ctx,
    signal,
    events,
    toolset: () => toolset,
    append,
    sync,
    onBudgetStop: (message) => {
      budgetStop ??= message;
    },
  });

  return {
    /** Runs until idle; returns the id of the last event this run saw. */
    async execute(): Promise<string | undefined> {
      const [running] = await append([{ type: 'session.status_running' }]);
      runStartId = running!.id;
      void watchForInterrupt(runStartId);
      await sync();
      try {
        toolset = await options.toolsetFor(ctx);
        if (toolset.errors && toolset.errors.length > 0) {
          await append(toolset.errors.map((error) => ({ type: 'session.error' as const, error })));
        }
        for (;;) {
          const waiting = signal.aborted ? [] : await settleToolCalls();
          if (signal.aborted) {
            await finishInterrupted();
            return lastId;
          }
          if (budgetStop) {
            await append([
              { type: 'agent.message', content: [{ type: 'text', text: budgetStop }] },
              { type: 'session.status_idle', stop_reason: { type: 'budget_reached' }, stop_details: null },
            ]);
            return lastId;
          }
          if (waiting.length > 0) {
            await idle({ type: 'requires_action', event_ids: waiting });
            return lastId;
          }
          await sync();
          const last = events.findLast(
            (e) => e.type !== 'session.status_running' && !e.type.startsWith('span.'),
          );
          const lastIsAnswer = last?.type === 'agent.message';
          // Input counts from the start of the request that produced that answer: a message
          // sent while the answer streamed lands before it in the log but was never seen.
          const lastRequest = events.findLastIndex((e) => e.type === 'span.model_request_start');
          if (!paused && lastIsAnswer && !events.slice(Math.max(0, lastRequest)).some(isInputEvent)) {
            // A crashed run had already finished its answer; only the idle was missing.
            await idle({ type: 'end_turn' });
            return lastId;
          }
          const verdict = await options.hooks?.beforeModelCall?.(ctx, events);
          const checkedAt = Date.now();
          if (verdict?.action === 'stop') {
            await append([
              { type: 'agent.message', content: [{ type: 'text', text: verdict.message }] },
              { type: 'session.status_idle', stop_reason: { type: verdict.stopReason }, stop_details: null },
            ]);
            return lastId;
          }
          await compactIfNeeded();
          if (signal.aborted) {
            await finishInterrupted();
            return lastId;
          }
          const requestStart = lastId;
          const stopAfter = verdict?.stopAfter;
          const response = await callModel(
            // Compaction may have taken some of the time left.
            stopAfter ? { ...stopAfter, ms: stopAfter.ms - (Date.now() - checkedAt) } : undefined,
          );
          await sync();
          if (!response) {
            if (signal.aborted) await finishInterrupted();
            else if (budgetStop) {
              await append([
                { type: 'agent.message', content: [{ type: 'text', text: budgetStop }] },
                { type: 'session.status_idle', stop_reason: { type: 'budget_reached' }, stop_details: null },
              ]);
            }
            return lastId;
          }
          // A long server-side tool (web search) pauses the turn: send the conversation back.
          paused = response.stop_reason === 'pause_turn';
          if (response.stop_reason === 'tool_use' || paused) continue;
          const sinceRequest = requestStart ? events.filter((e) => e.id > requestStart) : events;
          if (sinceRequest.some((e) => e.type === 'user.message')) continue; // steering arrived during the answer
          await idle({ type: response.stop_reason === 'refusal' ? 'refusal' : 'end_turn' });
          return lastId;
        }
      } finally {
        follower.abort();
        // A run that ended without going idle (shutdown, termination) still records its sandbox time.
        const unrecorded = signal.reason === 'lease_lost' ? [] : sandboxTime(false);
        if (unrecorded.length > 0) await append(unrecorded).catch(() => undefined);
        await toolset?.close?.().catch(() => undefined);
        await sync().catch(() => undefined);
      }
    },
  };
}
