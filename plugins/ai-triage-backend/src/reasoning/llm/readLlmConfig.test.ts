import { ConfigReader } from '@backstage/config';
import { FakeChatCompletionsServer } from '../__testUtils__/FakeChatCompletionsServer';
import {
  DEFAULT_SEED,
  createOpenAIClient,
  readLlmConfig,
} from './readLlmConfig';

jest.setTimeout(30_000);

function config(llm: object | undefined) {
  return new ConfigReader(llm ? { aiTriage: { reasoning: { llm } } } : {});
}

describe('readLlmConfig', () => {
  it('is off without a block or with enabled false', () => {
    expect(readLlmConfig(config(undefined))).toBeUndefined();
    expect(
      readLlmConfig(
        config({ enabled: false, baseUrl: 'http://x/v1', model: 'm' }),
      ),
    ).toBeUndefined();
  });

  it('applies the defaults: temperature 0, a fixed seed, json_schema', () => {
    expect(
      readLlmConfig(
        config({ baseUrl: 'http://ollama:11434/v1', model: 'qwen2.5:7b' }),
      ),
    ).toEqual({
      baseUrl: 'http://ollama:11434/v1',
      model: 'qwen2.5:7b',
      apiKey: 'unused',
      timeoutMs: 60_000,
      maxRetries: 2,
      budgetMs: 180_000,
      maxTokens: 2048,
      maxTokensParameter: 'max_tokens',
      temperature: 0,
      seed: DEFAULT_SEED,
      responseFormat: 'json_schema',
      circuitBreaker: { failureThreshold: 5, halfOpenAfterMs: 60_000 },
      azure: undefined,
    });
  });

  it('names the key of an invalid value', () => {
    expect(() =>
      readLlmConfig(
        config({ baseUrl: 'http://x/v1', model: 'm', timeoutSeconds: 0 }),
      ),
    ).toThrow(
      'aiTriage.reasoning.llm.timeoutSeconds must be a positive number, got 0',
    );
    expect(() =>
      readLlmConfig(
        config({ baseUrl: 'http://x/v1', model: 'm', responseFormat: 'text' }),
      ),
    ).toThrow(
      'aiTriage.reasoning.llm.responseFormat must be one of json_schema, json_object, got text',
    );
    expect(() =>
      readLlmConfig(
        config({ baseUrl: 'http://x/v1', model: 'm', maxRetries: -1 }),
      ),
    ).toThrow(/maxRetries must be a whole number/);
    expect(() => readLlmConfig(config({ model: 'm' }))).toThrow(/baseUrl/);
  });
});

describe('createOpenAIClient', () => {
  let server: FakeChatCompletionsServer;
  beforeEach(async () => {
    server = await FakeChatCompletionsServer.start();
    server.replyAlways({ content: '{}' });
  });
  afterEach(() => server.stop());

  it('talks to an OpenAI-compatible base URL with a bearer key', async () => {
    const llm = readLlmConfig(
      config({
        baseUrl: server.baseUrl,
        model: 'llama3.1',
        apiKey: 'sk-local',
      }),
    )!;
    await createOpenAIClient(llm).chat.completions.create({
      model: llm.model,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(server.requests[0].path).toBe('/v1/chat/completions');
    expect(server.requests[0].headers.authorization).toBe('Bearer sk-local');
  });

  it("uses Azure OpenAI's deployment URL, api-version and api-key header", async () => {
    const endpoint = server.baseUrl.replace(/\/v1$/, '');
    const llm = readLlmConfig(
      config({
        baseUrl: endpoint,
        model: 'gpt-4o',
        apiKey: 'azure-key',
        azure: { apiVersion: '2024-10-21', deployment: 'triage-gpt4o' },
      }),
    )!;
    await createOpenAIClient(llm).chat.completions.create({
      model: llm.model,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(server.requests[0].path).toBe(
      '/openai/deployments/triage-gpt4o/chat/completions?api-version=2024-10-21',
    );
    expect(server.requests[0].headers['api-key']).toBe('azure-key');
  });
});
