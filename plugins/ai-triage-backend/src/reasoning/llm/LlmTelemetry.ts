import {
  Meter,
  Span,
  SpanKind,
  SpanStatusCode,
  Tracer,
  metrics,
  trace,
} from '@opentelemetry/api';
import { CircuitState } from 'cockatiel';

const INSTRUMENTATION_SCOPE = '@ai-triage/plugin-ai-triage-backend';

/**
 * Spans and metrics of LLM calls, named after the OpenTelemetry GenAI semantic conventions:
 * a `chat {model}` client span per call, `gen_ai.client.operation.duration` (seconds) and
 * `gen_ai.client.token.usage` histograms, plus `ai_triage.reasoner.errors` (by `error.type`)
 * and the `ai_triage.reasoner.circuit_state` gauge (0 closed, 1 open, 2 half-open, 3 isolated).
 * Uses the global tracer and meter providers unless others are given (tests).
 */
export class LlmTelemetry {
  static create(
    options: {
      tracer?: Tracer;
      meter?: Meter;
    } = {},
  ): LlmTelemetry {
    return new LlmTelemetry(
      options.tracer ?? trace.getTracer(INSTRUMENTATION_SCOPE),
      options.meter ?? metrics.getMeter(INSTRUMENTATION_SCOPE),
    );
  }

  private readonly duration;
  private readonly tokens;
  private readonly errors;

  private constructor(
    private readonly tracer: Tracer,
    private readonly meter: Meter,
  ) {
    this.duration = meter.createHistogram('gen_ai.client.operation.duration', {
      description: 'Duration of calls to the LLM endpoint',
      unit: 's',
    });
    this.tokens = meter.createHistogram('gen_ai.client.token.usage', {
      description: 'Tokens used per call to the LLM endpoint',
      unit: '{token}',
    });
    this.errors = meter.createCounter('ai_triage.reasoner.errors', {
      description:
        'Failed or unusable LLM calls, by error.type (timeout, rate_limited, server_error, invalid_json, schema_invalid, circuit_open, ...)',
    });
  }

  /** Reports the breaker's state on every metric collection. */
  observeCircuitState(reasoner: string, state: () => CircuitState): void {
    this.meter
      .createObservableGauge('ai_triage.reasoner.circuit_state', {
        description:
          'State of the circuit breaker around the LLM endpoint: 0 closed, 1 open, 2 half-open, 3 isolated',
      })
      .addCallback(result => {
        result.observe(state(), { 'ai_triage.reasoner': reasoner });
      });
  }

  /** Runs one LLM call inside a `chat {model}` client span. */
  async inSpan<T>(
    model: string,
    attributes: Record<string, string | number>,
    fn: (span: Span) => Promise<T>,
  ): Promise<T> {
    return this.tracer.startActiveSpan(
      `chat ${model}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'gen_ai.operation.name': 'chat',
          'gen_ai.request.model': model,
          ...attributes,
        },
      },
      async span => {
        try {
          return await fn(span);
        } catch (error) {
          span.recordException(error as Error);
          span.setStatus({
            code: SpanStatusCode.ERROR,
            message: String((error as Error)?.message ?? error),
          });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  recordCall(call: {
    model: string;
    latencyMs: number;
    errorType?: string;
    promptTokens?: number | null;
    completionTokens?: number | null;
  }): void {
    const attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': call.model,
      ...(call.errorType ? { 'error.type': call.errorType } : {}),
    };
    this.duration.record(call.latencyMs / 1000, attributes);
    if (call.promptTokens !== undefined && call.promptTokens !== null) {
      this.tokens.record(call.promptTokens, {
        ...attributes,
        'gen_ai.token.type': 'input',
      });
    }
    if (call.completionTokens !== undefined && call.completionTokens !== null) {
      this.tokens.record(call.completionTokens, {
        ...attributes,
        'gen_ai.token.type': 'output',
      });
    }
    if (call.errorType) {
      this.recordError(call.model, call.errorType);
    }
  }

  recordError(model: string, errorType: string): void {
    this.errors.add(1, {
      'gen_ai.request.model': model,
      'error.type': errorType,
    });
  }
}
