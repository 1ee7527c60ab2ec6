import { Config } from '@backstage/config';
import OpenAI, { AzureOpenAI } from 'openai';
import { OpenAIReasonerSettings } from './OpenAIReasoner';

/** `aiTriage.reasoning.llm` with every default applied. */
export type LlmConfig = OpenAIReasonerSettings & {
  baseUrl: string;
  apiKey: string;
  azure?: { apiVersion: string; deployment?: string };
};

export const DEFAULT_SEED = 20261124;

/**
 * Reads `aiTriage.reasoning.llm` (see config.d.ts); undefined when it is absent or
 * `enabled: false`, in which case the heuristic reasoner answers alone.
 */
export function readLlmConfig(rootConfig: Config): LlmConfig | undefined {
  const config = rootConfig.getOptionalConfig('aiTriage.reasoning.llm');
  if (!config || config.getOptionalBoolean('enabled') === false) {
    return undefined;
  }
  const positive = (key: string, fallback: number) => {
    const value = config.getOptionalNumber(key) ?? fallback;
    if (!(value > 0)) {
      throw new Error(
        `aiTriage.reasoning.llm.${key} must be a positive number, got ${value}`,
      );
    }
    return value;
  };
  const oneOf = <T extends string>(key: string, values: T[], fallback: T) => {
    const value = config.getOptionalString(key) ?? fallback;
    if (!values.includes(value as T)) {
      throw new Error(
        `aiTriage.reasoning.llm.${key} must be one of ${values.join(
          ', ',
        )}, got ${value}`,
      );
    }
    return value as T;
  };
  const temperature = config.getOptionalNumber('temperature') ?? 0;
  if (!(temperature >= 0 && temperature <= 2)) {
    throw new Error(
      `aiTriage.reasoning.llm.temperature must be between 0 and 2, got ${temperature}`,
    );
  }
  const maxRetries = config.getOptionalNumber('maxRetries') ?? 2;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new Error(
      `aiTriage.reasoning.llm.maxRetries must be a whole number of at least 0, got ${maxRetries}`,
    );
  }
  const azure = config.getOptionalConfig('azure');
  return {
    baseUrl: config.getString('baseUrl'),
    model: config.getString('model'),
    // Ollama and vLLM take any key; the SDK insists on one.
    apiKey: config.getOptionalString('apiKey') ?? 'unused',
    timeoutMs: positive('timeoutSeconds', 60) * 1000,
    maxRetries,
    budgetMs: positive('budgetSeconds', 180) * 1000,
    maxTokens: Math.floor(positive('maxTokens', 2048)),
    maxTokensParameter: oneOf(
      'maxTokensParameter',
      ['max_tokens', 'max_completion_tokens'],
      'max_tokens',
    ),
    temperature,
    seed: config.getOptionalNumber('seed') ?? DEFAULT_SEED,
    responseFormat: oneOf(
      'responseFormat',
      ['json_schema', 'json_object'],
      'json_schema',
    ),
    circuitBreaker: {
      failureThreshold: Math.floor(
        positive('circuitBreaker.failureThreshold', 5),
      ),
      halfOpenAfterMs:
        positive('circuitBreaker.halfOpenAfterSeconds', 60) * 1000,
    },
    azure: azure
      ? {
          apiVersion: azure.getString('apiVersion'),
          deployment: azure.getOptionalString('deployment'),
        }
      : undefined,
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
