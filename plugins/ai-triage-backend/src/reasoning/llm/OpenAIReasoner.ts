import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ContextDocument,
  HypothesisSet,
} from '@ai-triage/plugin-ai-triage-common';
import { Reasoner } from '@ai-triage/plugin-ai-triage-node';
import {
  BrokenCircuitError,
  CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
} from 'cockatiel';
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { LlmCallAuditLog, LlmCallOutcome } from '../../database/TriageStore';
import { redact } from '../../enrichment/redact';
import { groundHypotheses } from '../groundHypotheses';
import { modelAnswerSchema, toHypothesisSet } from './answerSchema';
import { LlmTelemetry } from './LlmTelemetry';
import {
  ChatMessage,
  PROMPT_VERSION,
  buildRepairMessages,
  buildTriageMessages,
} from './triagePrompt';

/** How the reasoner talks to the endpoint; see `aiTriage.reasoning.llm` in config.d.ts. */
export type OpenAIReasonerSettings = {
  model: string;
  /** Per-request timeout of one attempt. */
  timeoutMs: number;
  /** Retries of 429 (honouring Retry-After), 408/409, 5xx and connection errors per call. */
  maxRetries: number;
  /** Upper bound on the time of one call with all its retries. */
  budgetMs: number;
  maxTokens: number;
  /** `max_tokens` (most endpoints) or `max_completion_tokens` (OpenAI's reasoning models). */
  maxTokensParameter: 'max_tokens' | 'max_completion_tokens';
  temperature: number;
  seed: number;
  /** `json_schema` (structured output) or `json_object` (the schema goes into the prompt). */
  responseFormat: 'json_schema' | 'json_object';
  circuitBreaker: {
    /** Consecutive failed calls that open the circuit. */
    failureThreshold: number;
    /** How long the circuit stays open before one trial call may pass (half-open). */
    halfOpenAfterMs: number;
  };
};

/** The model's answer could not be used, even after the repair attempt. */
export class InvalidModelOutputError extends Error {
  readonly name = 'InvalidModelOutputError';
}

/** The endpoint failed (or the circuit is open); `kind` is the audit outcome. */
export class LlmEndpointError extends Error {
  readonly name = 'LlmEndpointError';
  constructor(readonly kind: LlmCallOutcome, message: string) {
    super(message);
  }
}

type Completion = {
  content: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  totalTokens: number | null;
  latencyMs: number;
};

type Parsed =
  | { ok: true; value: HypothesisSet }
  | { ok: false; outcome: 'invalid_json' | 'schema_invalid'; problem: string };

/**
 * The `response_format` generated from the model's answer schema (derived from the shared zod
 * schema, see answerSchema.ts). String length limits and number bounds are left out of the JSON
 * schema (OpenAI's strict mode has not always taken `minLength`/`maxLength`/`minimum`/`maximum`);
 * the zod validation of every answer still enforces them, and a violation gets the repair
 * attempt.
 */
const RESPONSE_FORMAT = (() => {
  const format = zodResponseFormat(modelAnswerSchema, 'triage_hypotheses');
  const strip = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(strip);
    } else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      delete record.minLength;
      delete record.maxLength;
      delete record.minimum;
      delete record.maximum;
      Object.values(record).forEach(strip);
    }
  };
  strip(format.json_schema.schema);
  return format;
})();

/**
 * The `openai` reasoner: asks any OpenAI-compatible chat-completions endpoint (OpenAI, Azure
 * OpenAI, Ollama, vLLM, ...) for hypotheses about a context document.
 *
 * - Structured output from the `-common` zod schema (`response_format` json_schema; every
 *   hypothesis with probability, kind and origin), temperature and seed fixed by configuration
 *   (0 and a constant by default).
 * - The prompt is versioned (PROMPT_VERSION); instructions sit in the system message and the
 *   context document is fenced as data (see triagePrompt.ts).
 * - Every answer is validated against the schema; an invalid one gets exactly one repair
 *   attempt; hypotheses citing no evidence id of the context are dropped; an empty answer with
 *   `insufficientEvidence` is a valid result.
 * - The SDK retries 429 (honouring Retry-After), 5xx and connection errors up to `maxRetries`
 *   within `budgetMs`; a cockatiel circuit breaker opens after `failureThreshold` consecutive
 *   failed calls, fails fast while open, and lets one trial call through after
 *   `halfOpenAfterMs`. Failures throw, so the caller's fallback answers (marked degraded).
 * - Every call leaves an audit record (redacted prompt and response, model, prompt version,
 *   tokens, latency, outcome), a span and metrics.
 */
export class OpenAIReasoner implements Reasoner {
  readonly name = 'openai';
  readonly promptVersion = PROMPT_VERSION;

  get model(): string {
    return this.settings.model;
  }

  static create(options: {
    client: OpenAI;
    settings: OpenAIReasonerSettings;
    audit: LlmCallAuditLog;
    telemetry?: LlmTelemetry;
    /** Told when the circuit opens, half-opens and closes. */
    logger?: LoggerService;
  }): OpenAIReasoner {
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.settings.circuitBreaker.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(
        options.settings.circuitBreaker.failureThreshold,
      ),
    });
    const telemetry = options.telemetry ?? LlmTelemetry.create();
    telemetry.observeCircuitState('openai', () => breaker.state);
    const { logger } = options;
    if (logger) {
      breaker.onBreak(() =>
        logger.warn(
          `LLM circuit opened after ${options.settings.circuitBreaker.failureThreshold} failed calls; the heuristic reasoner answers until a trial call succeeds`,
        ),
      );
      breaker.onHalfOpen(() =>
        logger.info('LLM circuit half-open: trying one call'),
      );
      breaker.onReset(() => logger.info('LLM circuit closed again'));
    }
    return new OpenAIReasoner(
      options.client,
      options.settings,
      options.audit,
      telemetry,
      breaker,
    );
  }

  private constructor(
    private readonly client: OpenAI,
    private readonly settings: OpenAIReasonerSettings,
    private readonly audit: LlmCallAuditLog,
    private readonly telemetry: LlmTelemetry,
    private readonly breaker: CircuitBreakerPolicy,
  ) {}

  /** The breaker's current state (0 closed, 1 open, 2 half-open, 3 isolated). */
  get circuitState() {
    return this.breaker.state;
  }

  async reason(context: ContextDocument): Promise<HypothesisSet> {
    // Redacted before sending, and audited as sent: the audit shows exactly what left.
    const messages = redactMessages(
      buildTriageMessages(context, {
        includeAnswerShape: this.settings.responseFormat === 'json_object',
      }),
    );
    const first = await this.call(context, messages, 1);
    let parsed = parseAnswer(first.content);
    await this.record(context, messages, 1, first, parsed);
    if (parsed.ok) {
      return groundHypotheses(parsed.value, context);
    }

    const repairMessages = redactMessages(
      buildRepairMessages(messages, first.content ?? '', parsed.problem),
    );
    const second = await this.call(context, repairMessages, 2);
    parsed = parseAnswer(second.content);
    await this.record(context, repairMessages, 2, second, parsed);
    if (!parsed.ok) {
      throw new InvalidModelOutputError(
        `The model's answer was invalid after one repair attempt: ${parsed.problem}`,
      );
    }
    return groundHypotheses(parsed.value, context);
  }

  /** One chat completion through the breaker; failures are audited and thrown. */
  private async call(
    context: ContextDocument,
    messages: ChatMessage[],
    attempt: number,
  ): Promise<Completion> {
    const { model } = this.settings;
    const started = performance.now();
    try {
      return await this.telemetry.inSpan(
        model,
        {
          'ai_triage.incident.id': context.incidentId,
          'ai_triage.prompt.version': PROMPT_VERSION,
          'ai_triage.reasoning.attempt': attempt,
        },
        async span => {
          const response = await this.breaker.execute(({ signal }) =>
            this.client.chat.completions.create(this.request(messages), {
              timeout: this.settings.timeoutMs,
              maxRetries: this.settings.maxRetries,
              signal: AbortSignal.any([
                signal,
                AbortSignal.timeout(this.settings.budgetMs),
              ]),
            }),
          );
          const completion: Completion = {
            content: response.choices[0]?.message?.content ?? null,
            promptTokens: response.usage?.prompt_tokens ?? null,
            completionTokens: response.usage?.completion_tokens ?? null,
            totalTokens: response.usage?.total_tokens ?? null,
            latencyMs: performance.now() - started,
          };
          span.setAttributes({
            'gen_ai.response.model': response.model,
            ...(response.choices[0]?.finish_reason
              ? {
                  'gen_ai.response.finish_reasons': [
                    response.choices[0].finish_reason,
                  ],
                }
              : {}),
            ...(completion.promptTokens !== null
              ? { 'gen_ai.usage.input_tokens': completion.promptTokens }
              : {}),
            ...(completion.completionTokens !== null
              ? { 'gen_ai.usage.output_tokens': completion.completionTokens }
              : {}),
          });
          return completion;
        },
      );
    } catch (error) {
      const latencyMs = performance.now() - started;
      const failure = classifyFailure(error);
      this.telemetry.recordCall({
        model,
        latencyMs,
        errorType: failure.kind,
      });
      if (failure.kind !== 'circuit_open') {
        // No request was made while the circuit is open: nothing to audit.
        await this.audit.saveLlmCall({
          incidentId: context.incidentId,
          reasoner: this.name,
          model,
          promptVersion: PROMPT_VERSION,
          attempt,
          prompt: messages,
          response: null,
          outcome: failure.kind,
          error: failure.message,
          promptTokens: null,
          completionTokens: null,
          totalTokens: null,
          latencyMs,
        });
      }
      throw failure;
    }
  }

  private request(messages: ChatMessage[]) {
    const s = this.settings;
    return {
      model: s.model,
      messages,
      temperature: s.temperature,
      seed: s.seed,
      [s.maxTokensParameter]: s.maxTokens,
      response_format:
        s.responseFormat === 'json_schema'
          ? RESPONSE_FORMAT
          : ({ type: 'json_object' } as const),
      stream: false as const,
    };
  }

  private async record(
    context: ContextDocument,
    messages: ChatMessage[],
    attempt: number,
    completion: Completion,
    parsed: Parsed,
  ): Promise<void> {
    let outcome: LlmCallOutcome;
    if (!parsed.ok) outcome = parsed.outcome;
    else if (parsed.value.insufficientEvidence)
      outcome = 'insufficient_evidence';
    else outcome = 'ok';
    this.telemetry.recordCall({
      model: this.settings.model,
      latencyMs: completion.latencyMs,
      errorType: parsed.ok ? undefined : parsed.outcome,
      promptTokens: completion.promptTokens,
      completionTokens: completion.completionTokens,
    });
    await this.audit.saveLlmCall({
      incidentId: context.incidentId,
      reasoner: this.name,
      model: this.settings.model,
      promptVersion: PROMPT_VERSION,
      attempt,
      prompt: messages,
      response:
        completion.content === null ? null : redact(completion.content).text,
      outcome,
      error: parsed.ok ? null : parsed.problem,
      promptTokens: completion.promptTokens,
      completionTokens: completion.completionTokens,
      totalTokens: completion.totalTokens,
      latencyMs: completion.latencyMs,
    });
  }
}

/** Parses and validates an answer's text against the shared schema. */
function parseAnswer(content: string | null): Parsed {
  if (content === null || content.trim() === '') {
    return {
      ok: false,
      outcome: 'invalid_json',
      problem: 'the answer was empty',
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(stripCodeFence(content));
  } catch (error) {
    return {
      ok: false,
      outcome: 'invalid_json',
      problem: `it is not JSON (${(error as Error).message})`,
    };
  }
  const result = modelAnswerSchema.safeParse(json);
  if (!result.success) {
    const issues = result.error.issues
      .slice(0, 5)
      .map(issue => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    return {
      ok: false,
      outcome: 'schema_invalid',
      problem: `it does not match the schema (${issues})`,
    };
  }
  return { ok: true, value: toHypothesisSet(result.data) };
}

/** Models asked for JSON without a schema sometimes wrap it in a Markdown code fence. */
function stripCodeFence(content: string): string {
  const match = /^\s*```(?:json)?\s*\n([\s\S]*?)\n?```\s*$/.exec(content);
  return match ? match[1] : content;
}

function redactMessages(messages: ChatMessage[]): ChatMessage[] {
  return messages.map(m => ({ role: m.role, content: redact(m.content).text }));
}

function classifyFailure(error: unknown): LlmEndpointError {
  if (error instanceof LlmEndpointError) return error;
  if (error instanceof BrokenCircuitError) {
    return new LlmEndpointError(
      'circuit_open',
      'The circuit breaker is open after repeated failures of the LLM endpoint',
    );
  }
  const message = String((error as Error)?.message ?? error);
  if (
    error instanceof APIConnectionTimeoutError ||
    error instanceof APIUserAbortError ||
    (error as Error)?.name === 'TimeoutError' ||
    (error as Error)?.name === 'AbortError'
  ) {
    return new LlmEndpointError(
      'timeout',
      `The LLM call timed out: ${message}`,
    );
  }
  if (error instanceof APIConnectionError) {
    return new LlmEndpointError('connection_error', message);
  }
  if (error instanceof APIError && error.status !== undefined) {
    if (error.status === 429) {
      return new LlmEndpointError('rate_limited', message);
    }
    if (error.status >= 500) {
      return new LlmEndpointError('server_error', message);
    }
    return new LlmEndpointError('http_error', message);
  }
  return new LlmEndpointError('connection_error', message);
}
