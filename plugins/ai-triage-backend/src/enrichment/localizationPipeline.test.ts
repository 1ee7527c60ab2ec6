import { LoggerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { ContextDocument } from '@ai-triage/plugin-ai-triage-common';
import { SpanRecord } from '@ai-triage/plugin-ai-triage-node';
import knexFactory, { Knex } from 'knex';
import { createTriagePipeline } from '../pipeline/createTriagePipeline';
import { exampleCatalog } from '../__testUtils__/scenarios';
import { FAULT_MS, FAULT_S, shopTraces } from '../__testUtils__/shopTraces';

const silent: LoggerService = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child: () => silent,
};

/**
 * Enrichment on the embedded store (SQLite), from spans as stored to the context document:
 * the onset on the alerted service, the traces through it read across services, the walk to the
 * origin, and the deploy read from `service.version`.
 */
async function enrich(
  spans: SpanRecord[],
  alertAfterFaultMs: number,
): Promise<ContextDocument> {
  const knex: Knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
  try {
    const pipeline = await createTriagePipeline(
      {
        config: new ConfigReader({ aiTriage: { workers: { maxAttempts: 1 } } }),
        database: { getClient: async () => knex },
        logger: silent,
        events: mockServices.events(),
        auditor: mockServices.auditor.mock(),
      },
      { catalog: exampleCatalog },
    );
    // The recording-like traffic ends a few seconds ago.
    const shiftMs = Date.now() - 5_000 - (FAULT_MS + FAULT_S * 1000);
    await pipeline.telemetry.ingest({
      spans: spans.map(span => ({
        ...span,
        startTimeMs: span.startTimeMs + shiftMs,
      })),
    });
    const body = {
      version: '4',
      status: 'firing',
      receiver: 'ai-triage',
      groupKey: '{}:{alertname="HighLatencyP99"}',
      groupLabels: { alertname: 'HighLatencyP99' },
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.test',
      alerts: [
        {
          status: 'firing',
          labels: {
            alertname: 'HighLatencyP99',
            service: 'frontend',
            severity: 'critical',
          },
          annotations: { summary: 'frontend p99 latency is high' },
          startsAt: new Date(
            FAULT_MS + alertAfterFaultMs + shiftMs,
          ).toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          fingerprint: 'f1',
        },
      ],
    };
    const { incidentIds } = await pipeline.ingestor.ingest(
      'alertmanager',
      body,
      Buffer.from(JSON.stringify(body)),
    );
    const job = await pipeline.queue.claim('test', 60_000);
    expect(job?.type).toBe('enrich');
    await pipeline.handlers!.enrich.handle(job!);
    await pipeline.stop();
    return (await pipeline.triage.getLatestContext(incidentIds[0]))!.document;
  } finally {
    await knex.destroy();
  }
}

describe('enrichment localizes across services on the embedded store', () => {
  it('finds the onset, a sufficient baseline before it and the origin three hops down', async () => {
    const spans = shopTraces({ slow: { service: 'ledger', ms: 60 } }).map(
      span =>
        span.serviceName === 'ledger'
          ? {
              ...span,
              attributes: {
                ...span.attributes,
                'service.version':
                  span.startTimeMs >= FAULT_MS - 20_000 ? '2.1.0' : '2.0.9',
              },
            }
          : span,
    );
    const context = await enrich(spans, 45_000);
    expect(context.onset).toMatchObject({
      method: 'change-point',
      series: 'duration',
      baselineSource: 'pre-onset',
      baselineSufficient: true,
    });
    const onsetMs = Date.parse(context.onset!.at!);
    expect(Date.parse(context.window.from)).toBe(onsetMs);
    expect(Date.parse(context.baselineWindow.to)).toBe(onsetMs);
    expect(context.localization).toMatchObject({
      origin: 'ledger',
      path: ['frontend', 'checkout', 'payments', 'ledger'],
      maxDepth: 4,
    });
    expect(context.localization!.suspects[0]).toMatchObject({
      service: 'ledger',
      kind: 'deploy',
      changed: true,
    });
    expect(context.changes).toEqual([
      expect.objectContaining({
        id: 'change:deploy:ledger:2.1.0',
        from: '2.0.9',
        to: '2.1.0',
      }),
    ]);
    expect(context.localization!.suspects[0].evidenceIds).toContain(
      'change:deploy:ledger:2.1.0',
    );
    // The walked services' own operations are in the document, named by service.
    expect(context.operations.map(op => op.id)).toContain(
      'op:ledger/POST /ledger',
    );
    expect(
      context.operations.find(op => op.id === 'op:ledger/POST /ledger'),
    ).toMatchObject({ service: 'ledger' });
  });

  it('says the baseline is not sufficient when the service has only half a minute of history', async () => {
    const context = await enrich(
      shopTraces(
        { failing: { service: 'frontend', share: 0.5, message: 'boom' } },
        { healthyS: 30 },
      ),
      20_000,
    );
    expect(context.onset?.baselineSufficient).toBe(false);
    expect(
      context.localization!.suspects.every(s => !s.changed || !s.baselineKnown),
    ).toBe(true);
  });
});
