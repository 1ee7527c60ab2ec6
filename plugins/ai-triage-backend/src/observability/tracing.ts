import {
  Context,
  ROOT_CONTEXT,
  Span,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** The instrumentation scope of every span and metric of the plugin. */
export const INSTRUMENTATION_SCOPE = '@ai-triage/plugin-ai-triage-backend';

/** The plugin's tracer, from the global tracer provider (a no-op one when no SDK runs). */
export function aiTriageTracer() {
  return trace.getTracer(INSTRUMENTATION_SCOPE);
}

// The job row's column is W3C Trace Context whatever propagator the SDK configured globally.
const w3c = new W3CTraceContextPropagator();

/** The W3C `traceparent` of the span active in `ctx`, or null when none is recording. */
export function traceparentOf(ctx: Context = context.active()): string | null {
  if (!trace.getSpanContext(ctx)) {
    return null;
  }
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, {
    set: (c, key, value) => {
      c[key] = value;
    },
  });
  return carrier.traceparent ?? null;
}

/** A context whose remote parent is `traceparent` (the root context when it is null or invalid). */
export function contextFromTraceparent(
  traceparent: string | null | undefined,
): Context {
  if (!traceparent) {
    return ROOT_CONTEXT;
  }
  return w3c.extract(
    ROOT_CONTEXT,
    { traceparent },
    {
      get: (c, key) => c[key as 'traceparent'],
      keys: c => Object.keys(c),
    },
  );
}

/** The context of an incoming request's headers, through the globally configured propagator. */
export function contextFromHeaders(
  headers: Record<string, string | string[] | undefined>,
): Context {
  return propagation.extract(context.active(), headers);
}

/** Ends `span` with an error status for `error`. */
export function endWithError(span: Span, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  span.recordException(e);
  span.setAttribute('error.type', e.name || 'Error');
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
  span.end();
}
