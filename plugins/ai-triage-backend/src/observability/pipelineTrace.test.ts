import { SpanKind, context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Knex } from 'knex';
import { aiTriagePlugin } from '../plugin';
import {
  checkoutEntity,
  deliverScenario,
  waitFor,
} from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';

jest.setTimeout(60_000);

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    }),
  );
});

afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});

beforeEach(() => exporter.reset());

/** One process of the pipeline running the given stages on `knex`. */
function startStages(knex: Knex, stages: string[]) {
  return startTestBackend({
    features: [
      aiTriagePlugin,
      catalogServiceMock.factory({ entities: [checkoutEntity] }),
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: { aiTriage: { workers: { stages } } },
      }),
    ],
  });
}

async function jobOf(knex: Knex, incidentId: string, type: string) {
  return knex('jobs').where({ incident_id: incidentId, type }).first();
}

function spanNamed(spans: ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter(s => s.name === name);
  expect(found.map(s => s.name)).toEqual([name]);
  return found[0];
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('one trace per incident', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'links webhook → enrich → reason across a restart between the stages, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);

      // First process: intake and enrichment only. It stops once the reason job is queued.
      const intakeAndEnrich = await startStages(knex, ['intake', 'enrich']);
      const incidentId = await deliverScenario(intakeAndEnrich.server);
      const reasonJob = await waitFor('the reason job', () =>
        jobOf(knex, incidentId, 'reason'),
      );
      expect(reasonJob.status).toBe('queued');
      expect(reasonJob.traceparent).toMatch(
        /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/,
      );
      await intakeAndEnrich.stop();

      // Second process, started later: reasoning only. Only the job row carries the trace.
      const reasoning = await startStages(knex, ['reason']);
      try {
        await waitFor('the reason job to finish', async () =>
          (await jobOf(knex, incidentId, 'reason'))?.status === 'done'
            ? true
            : undefined,
        );
      } finally {
        await reasoning.stop();
      }

      const spans = exporter.getFinishedSpans();
      const webhook = spanNamed(
        spans,
        'POST /api/ai-triage/webhooks/alertmanager',
      );
      const sendEnrich = spanNamed(spans, 'send enrich');
      const enrich = spanNamed(spans, 'process enrich');
      const sendReason = spanNamed(spans, 'send reason');
      const reason = spanNamed(spans, 'process reason');
      const { traceId } = webhook.spanContext();
      for (const span of [sendEnrich, enrich, sendReason, reason]) {
        expect(span.spanContext().traceId).toBe(traceId);
      }
      // webhook → send enrich → process enrich → send reason → process reason
      expect(parentOf(sendEnrich)).toBe(webhook.spanContext().spanId);
      expect(parentOf(enrich)).toBe(sendEnrich.spanContext().spanId);
      expect(parentOf(sendReason)).toBe(enrich.spanContext().spanId);
      expect(parentOf(reason)).toBe(sendReason.spanContext().spanId);
      expect(reasonJob.traceparent).toBe(
        `00-${traceId}-${sendReason.spanContext().spanId}-01`,
      );

      expect(webhook.kind).toBe(SpanKind.SERVER);
      expect(webhook.attributes).toMatchObject({
        'http.request.method': 'POST',
        'http.route': '/api/ai-triage/webhooks/alertmanager',
        'http.response.status_code': 202,
        'ai_triage.alert.source': 'alertmanager',
        'ai_triage.intake.outcome': 'accepted',
        'incident.id': incidentId,
      });
      expect(sendEnrich.kind).toBe(SpanKind.PRODUCER);
      expect(sendEnrich.attributes).toMatchObject({
        'messaging.system': 'ai_triage',
        'messaging.operation.type': 'send',
        'messaging.destination.name': 'enrich',
        'db.system.name': databaseId.startsWith('POSTGRES')
          ? 'postgresql'
          : 'sqlite',
        'db.collection.name': 'jobs',
        'incident.id': incidentId,
      });
      for (const [span, type] of [
        [enrich, 'enrich'],
        [reason, 'reason'],
      ] as const) {
        expect(span.kind).toBe(SpanKind.CONSUMER);
        expect(span.attributes).toMatchObject({
          'messaging.system': 'ai_triage',
          'messaging.operation.type': 'process',
          'messaging.destination.name': type,
          'incident.id': incidentId,
          'service.name': 'checkout',
          'job.type': type,
          'job.attempt': 1,
          'job.outcome': 'done',
        });
      }

      // The telemetry provider calls of the enrichment are children of its span: the alerted
      // service's, then those of the services the localization walk reaches downstream.
      const fetches = spans.filter(s => s.name.startsWith('fetch telemetry '));
      expect(fetches.length).toBeGreaterThanOrEqual(2); // incident and baseline windows
      for (const fetch of fetches) {
        expect(parentOf(fetch)).toBe(enrich.spanContext().spanId);
        expect(fetch.kind).toBe(SpanKind.CLIENT);
      }
      expect(
        fetches.filter(f => f.attributes['service.name'] === 'checkout').length,
      ).toBeGreaterThanOrEqual(1);
      expect(
        fetches.some(
          f => Number(f.attributes['ai_triage.telemetry.spans']) > 0,
        ),
      ).toBe(true);
    },
  );
});
