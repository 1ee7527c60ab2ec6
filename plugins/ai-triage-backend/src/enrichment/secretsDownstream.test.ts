import { mockCredentials } from '@backstage/backend-test-utils';
import { Server } from 'node:http';
import request from 'supertest';
import { FakeChatCompletionsServer } from '../reasoning/__testUtils__/FakeChatCompletionsServer';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { startAiTriageBackend, waitFor } from '../__testUtils__/testBackend';
import {
  PLANTED_SECRETS as KINDS,
  otlpBodies,
  webhookBodies,
} from '../__testUtils__/plantedSecrets';

jest.setTimeout(180_000);

const auth = mockCredentials.service.header();

describe('secrets planted in every field of every sender and signal', () => {
  const databases = createTestDatabases();
  let llm: FakeChatCompletionsServer;
  let server: Server;

  afterEach(async () => {
    await llm?.stop();
  });

  it('reach neither the LLM request nor the stored context nor the audit', async () => {
    const knex = await databases.init('SQLITE_3');
    llm = await FakeChatCompletionsServer.start();
    llm.replyAlways({ content: '{"hypotheses": []}' });
    server = await startAiTriageBackend({
      knex,
      config: {
        aiTriage: {
          workers: { maxAttempts: 1 },
          reasoning: {
            llm: { baseUrl: llm.baseUrl, model: 'test-model', maxRetries: 0 },
          },
        },
      },
    });

    for (const [i, { kind, text }] of KINDS.entries()) {
      for (const [signal, body] of Object.entries(otlpBodies(text, i))) {
        const res = await request(server)
          .post(`/api/ai-triage/otlp/v1/${signal}`)
          .set('authorization', auth)
          .send(body);
        expect({ kind, signal, status: res.status }).toEqual({
          kind,
          signal,
          status: 200,
        });
      }
      for (const [source, body] of Object.entries(webhookBodies(text, i))) {
        const res = await request(server)
          .post(`/api/ai-triage/webhooks/${source}`)
          .set('authorization', auth)
          .send(body);
        expect({
          kind,
          source,
          status: res.status,
          error: res.body.error,
        }).toEqual({
          kind,
          source,
          status: 202,
          error: undefined,
        });
      }
    }

    const incidents = Number((await knex('incidents').count({ n: '*' }))[0].n);
    expect(incidents).toBeGreaterThanOrEqual(KINDS.length * 2);
    await waitFor(
      'every incident reasoned about',
      async () => {
        const busy = await knex('jobs')
          .whereIn('status', ['queued', 'running'])
          .first();
        const calls = Number((await knex('llm_calls').count({ n: '*' }))[0].n);
        return !busy && calls >= incidents ? true : undefined;
      },
      150_000,
    );

    const contexts: Array<{ document: string }> = await knex(
      'context_documents',
    ).select('document');
    const audit: unknown[] = await knex('llm_calls').select();
    expect(contexts.length).toBeGreaterThanOrEqual(incidents);
    const downstream = {
      'LLM requests': JSON.stringify(llm.requests.map(r => r.body)),
      'stored contexts': JSON.stringify(contexts),
      audit: JSON.stringify(audit),
    };
    const found: string[] = [];
    for (const [where, text] of Object.entries(downstream)) {
      for (const { kind, find } of KINDS) {
        if (text.includes(find)) found.push(`${kind} in ${where}`);
      }
    }
    expect(found).toEqual([]);
    // The context says what it masked, by kind.
    const byKind = contexts
      .map(c => JSON.parse(c.document).redactionsByKind ?? {})
      .reduce((all, kinds) => ({ ...all, ...kinds }), {});
    expect(Object.keys(byKind).length).toBeGreaterThanOrEqual(5);
    // The audit holds exactly what was sent: every audited prompt is a request's messages.
    const sent = new Set(
      llm.requests.map(r => JSON.stringify(r.body.messages)),
    );
    const audited = (audit as Array<{ prompt: string }>).map(row =>
      JSON.stringify(JSON.parse(row.prompt)),
    );
    expect(audited.filter(prompt => !sent.has(prompt))).toEqual([]);
  });
});
