/**
 * The model steps of a run: one model call with its retries, backoff and the wall-time budget,
 * and context compaction. Each request is bracketed by `span.model_request_start/end` in the log
 * and one `model request finished` log line (never the request or the answer).
 */
import { randomBytes } from 'node:crypto';
import type { NewEvent, SessionEvent } from '../events/schema.js';
import type { Toolset } from '../tools/types.js';
import { compactionCut, shouldCompact, summarise } from './compaction.js';
import { ModelError, type ModelResponse } from './model/client.js';
import { buildRequest, NO_USAGE, toolEvents } from './request.js';
import type { BeforeModelCall, HarnessOptions, SessionContext } from './types.js';

export interface ModelStepsDeps {
  options: HarnessOptions;
  ctx: SessionContext;
  /** The run's signal: interrupt, shutdown, lost lease. */
  signal: AbortSignal;
  /** The run's view of the log (kept up to date by `sync`). */
  events: SessionEvent[];
  toolset(): Toolset | undefined;
  append(batch: NewEvent[]): Promise<SessionEvent[]>;
  sync(): Promise<void>;
  /** A budget ended the call: the turn ends with this message after the open calls. */
  onBudgetStop(message: string): void;
}

export function createModelSteps(deps: ModelStepsDeps) {
  const { options, ctx, signal, events, toolset, append, sync, onBudgetStop } = deps;
  const { log, logger } = options;
  const sessionId = ctx.session.id;

  const sleep = (ms: number, until: AbortSignal = signal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      until.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });

  /** One info line per model request that ended; never the request or the answer. */
  const logRequestEnd = (
    model: string,
    startedAt: number,
    usage: ModelResponse['usage'],
    end: { stop_reason: string | null; is_error: boolean; error?: string; purpose?: 'compaction' },
  ) =>
    logger.info(
      {
        sessionId,
        model,
        duration_ms: Math.round(performance.now() - startedAt),
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        ...end,
      },
      'model request finished',
    );

  /**
   * One model call with retries. Returns the response, or null when the run must end. With
   * `stopAfter`, the call (retries included) is aborted when the wall-time budget runs out.
   */
  const callModel = async (
    stopAfter?: Extract<BeforeModelCall, { action: 'continue' }>['stopAfter'],
  ): Promise<ModelResponse | null> => {
    const maxRetries = options.maxRetries ?? 4;
    const base = options.retryBaseMs ?? 1000;
    const cap = options.retryMaxMs ?? 60_000;
    const budget = new AbortController();
    const budgetTimer = stopAfter
      ? setTimeout(() => budget.abort('budget_reached'), Math.max(0, stopAfter.ms))
      : undefined;
    const callSignal = stopAfter ? AbortSignal.any([signal, budget.signal]) : signal;
    try {
      for (let attempt = 0; ; attempt++) {
        let request = buildRequest(ctx, toolset(), events);
        if (options.hooks?.prepareRequest) request = await options.hooks.prepareRequest(ctx, events, request);
        const [start] = await append([{ type: 'span.model_request_start' }]);
        const startedAt = performance.now();
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
        const failedEnd: NewEvent = {
          type: 'span.model_request_end',
          model_request_start_id: start!.id,
          is_error: true,
          model_usage: NO_USAGE,
        };
        try {
          const response = await options.model.stream(request, {
            signal: callSignal,
            onText: delta('agent.message'),
            onThinking: delta('agent.thinking'),
          });
          await append([
            ...toolEvents(response, toolset()),
            {
              type: 'span.model_request_end',
              model_request_start_id: start!.id,
              is_error: false,
              model_usage: response.usage,
            },
          ]);
          logRequestEnd(request.model, startedAt, response.usage, {
            stop_reason: response.stop_reason,
            is_error: false,
          });
          return response;
        } catch (error) {
          const err = error instanceof ModelError ? error : new ModelError('fatal', String(error));
          if (err.kind === 'aborted' || callSignal.aborted) {
            const partialText = (err.partial ?? [])
              .flatMap((b) => (b.type === 'text' && b.text ? [b.text] : []))
              .join('');
            const keep: NewEvent[] = partialText
              ? [{ type: 'agent.message', content: [{ type: 'text', text: partialText }] }]
              : [];
            const outOfTime = !signal.aborted && budget.signal.aborted;
            if (signal.reason === 'interrupt' || outOfTime) {
              await append([...keep, failedEnd]);
              logRequestEnd(request.model, startedAt, NO_USAGE, {
                stop_reason: null,
                is_error: true,
                error: outOfTime ? 'budget_reached' : 'interrupted',
              });
            }
            // The turn ends after this: `execute` shows the budget message and goes idle.
            if (outOfTime && stopAfter) onBudgetStop(stopAfter.message);
            return null;
          }
          await append([failedEnd]);
          logRequestEnd(request.model, startedAt, NO_USAGE, {
            stop_reason: null,
            is_error: true,
            error: err.kind,
          });
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
            await sleep(wait, callSignal);
            if (signal.aborted) return null;
            if (budget.signal.aborted && stopAfter) {
              onBudgetStop(stopAfter.message);
              return null;
            }
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
    } finally {
      clearTimeout(budgetTimer);
    }
  };

  const compactIfNeeded = async () => {
    if (!shouldCompact(ctx.agent, events)) return;
    const cut = compactionCut(events, ctx.agent.compaction?.keep_recent_turns ?? 4);
    if (!cut) return;
    const [start] = await append([{ type: 'span.model_request_start' }]);
    const request = buildRequest(ctx, toolset(), events);
    const startedAt = performance.now();
    try {
      const { summary, usage } = await summarise(options.model, request, events, cut, signal);
      logRequestEnd(request.model, startedAt, usage, {
        stop_reason: null,
        is_error: false,
        purpose: 'compaction',
      });
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
      logRequestEnd(request.model, startedAt, NO_USAGE, {
        stop_reason: null,
        is_error: true,
        purpose: 'compaction',
      });
      if (!signal.aborted)
        logger.warn({ sessionId, err: error }, 'compaction failed; continuing with the full context');
    }
    await sync();
  };

  return { callModel, compactIfNeeded };
}
