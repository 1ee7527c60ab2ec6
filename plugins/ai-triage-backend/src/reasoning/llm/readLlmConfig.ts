import { Config } from '@backstage/config';
import OpenAI, { AzureOpenAI } from 'openai';
import { z } from 'zod';
import {
  configBoolean,
  configNumber,
  configString,
  positiveNumber,
  readConfigSection,
  wholeNumber,
} from '../../configSection';
import { OpenAIReasonerSettings } from './OpenAIReasoner';

/** `aiTriage.reasoning.llm` with every default applied. */
type LlmConfig = OpenAIReasonerSettings & {
  baseUrl: string;
  apiKey: string;
  azure?: { apiVersion: string; deployment?: string };
};

export const DEFAULT_SEED = 20261124;

const KEY = 'aiTriage.reasoning.llm';

/** `aiTriage.reasoning.llm` as config.d.ts documents it, with its defaults. */
const llmSchema = z.object({
  baseUrl: configString,
  model: configString,
  // Ollama and vLLM take any key; the SDK insists on one.
  apiKey: configString.default('unused'),
  timeoutSeconds: positiveNumber.default(60),
  maxRetries: wholeNumber(0).default(2),
  budgetSeconds: positiveNumber.default(180),
  maxTokens: positiveNumber.default(2048),
  maxTokensParameter: z
    .enum(['max_tokens', 'max_completion_tokens'])
    .default('max_tokens'),
  temperature: configNumber
    .pipe(
      z
        .number()
        .min(0, 'must be between 0 and 2')
        .max(2, 'must be between 0 and 2'),
    )
    .default(0),
  seed: configNumber.default(DEFAULT_SEED),
  responseFormat: z.enum(['json_schema', 'json_object']).default('json_schema'),
  circuitBreaker: z
    .object({
      failureThreshold: positiveNumber.default(5),
      halfOpenAfterSeconds: positiveNumber.default(60),
    })
    .prefault({}),
  azure: z
    .object({ apiVersion: configString, deployment: configString.optional() })
    .optional(),
});

/**
 * Reads `aiTriage.reasoning.llm` (see config.d.ts); undefined when it is absent or
 * `enabled: false`, in which case the heuristic reasoner answers alone.
 */
export function readLlmConfig(rootConfig: Config): LlmConfig | undefined {
  if (rootConfig.getOptional(KEY) === undefined) return undefined;
  const { enabled } = readConfigSection(
    rootConfig,
    KEY,
    z.object({ enabled: configBoolean.default(true) }),
  );
  if (!enabled) return undefined;
  const llm = readConfigSection(rootConfig, KEY, llmSchema);
  return {
    baseUrl: llm.baseUrl,
    model: llm.model,
    apiKey: llm.apiKey,
    timeoutMs: llm.timeoutSeconds * 1000,
    maxRetries: llm.maxRetries,
    budgetMs: llm.budgetSeconds * 1000,
    maxTokens: Math.floor(llm.maxTokens),
    maxTokensParameter: llm.maxTokensParameter,
    temperature: llm.temperature,
    seed: llm.seed,
    responseFormat: llm.responseFormat,
    circuitBreaker: {
      failureThreshold: Math.floor(llm.circuitBreaker.failureThreshold),
      halfOpenAfterMs: llm.circuitBreaker.halfOpenAfterSeconds * 1000,
    },
    azure: llm.azure,
  };
}

/**
 * The SDK client for the configured endpoint: `AzureOpenAI` when `azure` is set (base URL =
 * the resource endpoint), else `OpenAI` with the base URL (OpenAI, Ollama, vLLM, ...).
 * Timeouts and retries are set per request by the reasoner.
 */
export function createOpenAIClient(config: LlmConfig): OpenAI {
  if (config.azure) {
    return new AzureOpenAI({
      endpoint: config.baseUrl,
      apiKey: config.apiKey,
      apiVersion: config.azure.apiVersion,
      deployment: config.azure.deployment ?? config.model,
    });
  }
  return new OpenAI({ baseURL: config.baseUrl, apiKey: config.apiKey });
}
