/**
 * One run of a session: from `session.status_running` to `session.status_idle`. Every step
 * is appended to the log before it is acted on (a tool_use before the tool runs), so a run
 * killed at any point resumes elsewhere without running anything twice.
 */
import { randomBytes } from 'node:crypto';
import type { NewEvent, SessionEvent, StopReason } from '../events/schema.js';
import type { Sandbox } from '../sandbox/types.js';
import type { Lease } from '../store/types.js';
import { type Tool, type ToolResult, type Toolset, textResult } from '../tools/types.js';
import { compactionCut, shouldCompact, summarise } from './compaction.js';
import { ModelError, type ModelResponse } from './model/client.js';
import { buildRequest, NO_USAGE, toolEvents } from './request.js';
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

  const append = async (batch: NewEvent[]): Promise<SessionEvent[]> =>
    log.append(sessionId, batch, { fencingToken: lease.token });

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
            sandbox ??= options.sandboxFor(ctx).then(async ({ sandbox: box, operation }) => {
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
    const open = openToolUses(events);
    const lastUserMessage = events.findLastIndex((e) => e.type === 'user.message');
    for (const o of open) {
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

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });

  /** One model call with retries. Returns the response, or null when the run must end. */
  const callModel = async (): Promise<ModelResponse | null> => {
    const maxRetries = options.maxRetries ?? 4;
    const base = options.retryBaseMs ?? 1000;
    const cap = options.retryMaxMs ?? 60_000;
    for (let attempt = 0; ; attempt++) {
      let request = buildRequest(ctx, toolset, events);
      if (options.hooks?.prepareRequest) request = await options.hooks.prepareRequest(ctx, events, request);
      const [start] = await append([{ type: 'span.model_request_start' }]);
      const preview = `sevt_preview_${randomBytes(6).toString('hex')}`;
      const started = new Set<number>();
      const delta = (kind: 'agent.message' | 'agent.thinking') => (text: string, index: number) => {
        const id = `${preview}_${index}`;
        if (!started.has(index)) {
          started.add(index);
          log.publishDelta(sessionId, { type: 'event_start', event: { id, type: kind } });
        }
        log.publishDelta(sessionId, {
          type: 'event_delta',
          event_id: id,
          delta: { type: 'content_delta', content: { type: 'text', text } },
        });
      };
      try {
        const response = await options.model.stream(request, {
          signal,
          onText: delta('agent.message'),
          onThinking: delta('agent.thinking'),
        });
        await append([
          ...toolEvents(response, toolset),
          {
            type: 'span.model_request_end',
            model_request_start_id: start!.id,
            is_error: false,
            model_usage: response.usage,
          },
        ]);
        return response;
      } catch (error) {
        const err = error instanceof ModelError ? error : new ModelError('fatal', String(error));
        if (err.kind === 'aborted' || signal.aborted) {
          const partialText = (err.partial ?? [])
            .flatMap((b) => (b.type === 'text' && b.text ? [b.text] : []))
            .join('');
          const keep: NewEvent[] = partialText
            ? [{ type: 'agent.message', content: [{ type: 'text', text: partialText }] }]
            : [];
          if (signal.reason === 'interrupt') {
            await append([
              ...keep,
              {
                type: 'span.model_request_end',
                model_request_start_id: start!.id,
                is_error: true,
                model_usage: NO_USAGE,
              },
            ]);
          }
          return null;
        }
        await append([
          {
            type: 'span.model_request_end',
            model_request_start_id: start!.id,
            is_error: true,
            model_usage: NO_USAGE,
          },
        ]);
        const errorType =
          err.kind === 'rate_limited'
            ? 'model_rate_limited_error'
            : err.kind === 'overloaded'
              ? 'model_overloaded_error'
              : 'model_request_failed_error';
        if (err.retryable && attempt < maxRetries) {
          const backoff = Math.min(cap, base * 2 ** attempt);
          const wait = Math.min(cap, err.retryAfterMs ?? backoff);
          logger.warn(
            { sessionId, attempt: attempt + 1, waitMs: wait, kind: err.kind },
            'model request failed; retrying',
          );
          await append([
            {
              type: 'session.error',
              error: {
                type: errorType,
                message: `${err.message} (retrying in ${Math.round(wait / 100) / 10}s)`,
                retry_status: { type: 'retrying' },
              },
            },
          ]);
          await sleep(wait);
          if (signal.aborted) return null;
          continue;
        }
        const exhausted = err.retryable;
        logger.error({ sessionId, kind: err.kind, status: err.status }, 'model request failed; giving up');
        await append([
          {
            type: 'session.error',
            error: {
              type: errorType,
              message: err.message,
              retry_status: { type: exhausted ? 'exhausted' : 'terminal' },
            },
          },
          { type: 'session.status_idle', stop_reason: { type: 'retries_exhausted' }, stop_details: null },
        ]);
        return null;
      }
    }
  };

  const compactIfNeeded = async () => {
    if (!shouldCompact(ctx.agent, events)) return;
    const cut = compactionCut(events, ctx.agent.compaction?.keep_recent_turns ?? 4);
    if (!cut) return;
    const [start] = await append([{ type: 'span.model_request_start' }]);
    try {
      const { summary, usage } = await summarise(
        options.model,
        buildRequest(ctx, toolset, events),
        events,
        cut,
        signal,
      );
      await append([
        {
          type: 'span.model_request_end',
          model_request_start_id: start!.id,
          is_error: false,
          model_usage: usage,
        },
        { type: 'agent.thread_context_compacted', summary, compacted_through: cut },
      ]);
      logger.info({ sessionId, compactedThrough: cut }, 'context compacted');
    } catch (error) {
      await append([
        {
          type: 'span.model_request_end',
          model_request_start_id: start!.id,
          is_error: true,
          model_usage: NO_USAGE,
        },
      ]);
      if (!signal.aborted)
        logger.warn({ sessionId, err: error }, 'compaction failed; continuing with the full context');
    }
    await sync();
  };

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
          const response = await callModel();
          await sync();
          if (!response) {
            if (signal.aborted) await finishInterrupted();
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
        await toolset?.close?.().catch(() => undefined);
        await sync().catch(() => undefined);
      }
    },
  };
}
