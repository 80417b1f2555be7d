/**
 * Optional OpenTelemetry export of a session's spans (off unless an OTLP endpoint is set with
 * `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`). After each run, the
 * run's spans (derived from the log by `traceSpans`) are sent as one trace: the run as the root,
 * model requests, tool calls and sandbox operations as its children, with their real times.
 */
import { context, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SessionEvent } from '../events/schema.js';
import type { SessionContext } from '../harness/types.js';
import type { Logger } from '../logging.js';
import { traceSpans } from './trace.js';

export interface OtelExport {
  exportRun(ctx: SessionContext, events: SessionEvent[]): Promise<void>;
  shutdown(): Promise<void>;
}

/** Null when no endpoint is configured (the default). */
export function createOtelExport(env: NodeJS.ProcessEnv, logger: Logger): OtelExport | null {
  const base =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (env.OTEL_EXPORTER_OTLP_ENDPOINT
      ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`
      : undefined);
  if (!base) return null;
  const exporter = new OTLPTraceExporter({ url: base });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? 'threadhand' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('threadhand');
  logger.info({ endpoint: base }, 'exporting traces over OTLP');
  return {
    async exportRun(ctx, events) {
      const spans = traceSpans(events);
      const runIndex = spans.findLastIndex((s) => s.kind === 'run');
      if (runIndex < 0) return;
      const [run, ...children] = spans.slice(runIndex);
      if (!run) return;
      const root = tracer.startSpan('threadhand.run', {
        startTime: run.startMs,
        attributes: {
          'threadhand.session_id': ctx.session.id,
          'threadhand.agent': ctx.agent.name,
          'threadhand.stop_reason': run.detail ?? '',
        },
      });
      const parent = trace.setSpan(context.active(), root);
      for (const s of children) {
        const span = tracer.startSpan(
          `threadhand.${s.kind}`,
          {
            startTime: s.startMs,
            attributes: {
              'threadhand.name': s.name,
              'threadhand.event_id': s.id,
              'threadhand.detail': s.detail ?? '',
            },
          },
          parent,
        );
        if (s.isError) span.setStatus({ code: 2 });
        span.end(s.endMs);
      }
      root.end(run.endMs);
      await provider.forceFlush();
    },
    shutdown: () => provider.shutdown(),
  };
}
