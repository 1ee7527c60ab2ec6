import { SpanKind, trace } from '@opentelemetry/api';
import { ContextDocument } from '@ai-triage/plugin-ai-triage-common';
import { TelemetryProvider } from '@ai-triage/plugin-ai-triage-node';
import { PipelineMetrics } from './PipelineMetrics';
import { aiTriageTracer, endWithError } from './tracing';

/** Puts the incident being worked on onto the active span (the worker's `process` span). */
export function annotateIncident(
  incidentId: string,
  serviceName: string,
): void {
  trace.getActiveSpan()?.setAttributes({
    'incident.id': incidentId,
    'service.name': serviceName,
  });
}

/**
 * The provider with a `fetch telemetry {name}` client span around each call: provider, service,
 * window, records per signal and what was truncated or missing; a failure or timeout ends the
 * span with an error (the enrichment still goes on without it). Each answer is also reported
 * to `outcomes` (the readiness checks).
 */
export function traceProvider(
  provider: TelemetryProvider,
  outcomes?: { recordProvider(name: string, error?: unknown): void },
): TelemetryProvider {
  return Object.assign(Object.create(provider) as TelemetryProvider, {
    fetch: ((query, options) =>
      aiTriageTracer().startActiveSpan(
        `fetch telemetry ${provider.name}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'ai_triage.telemetry.provider': provider.name,
            'service.name': query.serviceName,
            'ai_triage.telemetry.from': new Date(query.fromMs).toISOString(),
            'ai_triage.telemetry.to': new Date(query.toMs).toISOString(),
          },
        },
        async span => {
          try {
            const result = await provider.fetch(query, options);
            span.setAttributes({
              'ai_triage.telemetry.spans': result.spans?.length ?? 0,
              'ai_triage.telemetry.logs': result.logs?.length ?? 0,
              'ai_triage.telemetry.metrics': result.metrics?.length ?? 0,
              'ai_triage.telemetry.truncated': result.truncated ?? [],
              'ai_triage.telemetry.missing': result.missing ?? [],
            });
            span.end();
            outcomes?.recordProvider(provider.name);
            return result;
          } catch (error) {
            endWithError(span, error);
            outcomes?.recordProvider(provider.name, error);
            throw error;
          }
        },
      )) as TelemetryProvider['fetch'],
  });
}

/** What {@link withContextMetrics} wraps: a store that saves context documents (`TriageStore`). */
type ContextSaver = {
  saveContext(input: { document: ContextDocument }): Promise<unknown>;
};

/** The triage store, counting the redactions and truncations of each context it stores. */
export function withContextMetrics<T extends ContextSaver>(
  store: T,
  metrics: PipelineMetrics,
): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'saveContext') {
        return async (input: Parameters<T['saveContext']>[0]) => {
          const saved = await target.saveContext(input);
          metrics.recordContext(input.document);
          return saved;
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
