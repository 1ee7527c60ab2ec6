import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { execFile } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';
import { promisify } from 'node:util';
import { Knex } from 'knex';
import { AddressInfo } from 'node:net';
import { aiTriagePlugin } from '../plugin';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseTelemetryStore } from './DatabaseTelemetryStore';

jest.setTimeout(120_000);

/** The static external-access token the test backend accepts for the OTLP exporters. */
const TOKEN = 'otlp-exporter-test-token-0123456789';

/**
 * The done-when test of the embedded receiver: the OpenTelemetry SDK's own OTLP/HTTP exporters,
 * JSON and protobuf, send to the real plugin on a test backend over loopback, authenticated with
 * a static external-access token from config, and what they sent is in the store.
 */
describe('the embedded OTLP receiver with the OpenTelemetry SDK exporters', () => {
  const databases = createTestDatabases();

  async function startBackend(knex: Knex): Promise<string> {
    const { server } = await startTestBackend({
      features: [
        aiTriagePlugin,
        catalogServiceMock.factory({ entities: [] }),
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: {
            backend: {
              baseUrl: 'http://127.0.0.1',
              auth: {
                externalAccess: [
                  {
                    type: 'static',
                    options: { token: TOKEN, subject: 'otel-sdk' },
                    accessRestrictions: [{ plugin: 'ai-triage' }],
                  },
                ],
              },
            },
            aiTriage: { workers: { enabled: false } },
          },
        }),
        authServiceFactory,
        httpAuthServiceFactory,
      ],
    });
    const { port } = server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/api/ai-triage/otlp/v1`;
  }

  /** Runs the instrumented application process against the backend; returns what it printed. */
  async function exportWithSdk(options: {
    base: string;
    encoding: 'json' | 'protobuf';
    gzip?: boolean;
    serviceName: string;
    token: string;
  }) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--require',
        '@backstage/cli/config/nodeTransform.cjs',
        resolvePath(__dirname, '../__testUtils__/otelSdkExporterProcess.ts'),
      ],
      {
        env: {
          ...process.env,
          OTLP_BASE_URL: options.base,
          OTLP_ENCODING: options.encoding,
          OTLP_SERVICE_NAME: options.serviceName,
          OTLP_TOKEN: options.token,
          OTEL_EXPORTER_OTLP_COMPRESSION: options.gzip ? 'gzip' : 'none',
        },
        timeout: 60_000,
      },
    );
    return JSON.parse(stdout.trim().split('\n').pop()!) as {
      server: { traceId: string; spanId: string };
      client: { traceId: string; spanId: string };
      results: Record<'traces' | 'logs' | 'metrics', string[]>;
    };
  }

  const cases = databases.eachSupportedId().flatMap(([databaseId]) =>
    (
      [
        ['json', false],
        ['protobuf', true],
      ] as const
    ).map(
      ([encoding, gzip]) =>
        [
          `${encoding}${gzip ? ' with gzip' : ''}`,
          databaseId,
          encoding,
          gzip,
        ] as const,
    ),
  );

  it.each(cases)(
    'stores the spans, logs and metrics the SDK exporters send as %s, %s',
    async (_name, databaseId, encoding, gzip) => {
      const knex = await databases.init(databaseId);
      const base = await startBackend(knex);
      const serviceName = `checkout-${encoding}`;
      const startMs = Date.now();

      const sent = await exportWithSdk({
        base,
        encoding,
        gzip,
        serviceName,
        token: TOKEN,
      });

      expect(sent.results.traces).toEqual(['ok', 'ok']);
      expect(sent.results.logs).toEqual(['ok', 'ok']);
      // The metric reader exports on flush and again on shutdown.
      expect(sent.results.metrics.length).toBeGreaterThanOrEqual(1);
      expect(sent.results.metrics.every(result => result === 'ok')).toBe(true);
      const stored = await DatabaseTelemetryStore.create({ knex }).fetch(
        {
          serviceName,
          fromMs: startMs - 1000,
          toMs: Date.now() + 1000,
          limit: 100,
        },
        { signal: new AbortController().signal },
      );

      expect(stored.spans).toHaveLength(2);
      const storedServer = stored.spans!.find(s => s.kind === 2)!;
      const storedClient = stored.spans!.find(s => s.kind === 3)!;
      expect(storedServer).toMatchObject({
        traceId: sent.server.traceId,
        spanId: sent.server.spanId,
        parentSpanId: null,
        serviceName,
        name: 'POST /checkout',
        statusCode: 2,
        attributes: {
          'http.request.method': 'POST',
          'http.response.status_code': 502,
          'retry.count': 2,
        },
      });
      expect(storedClient).toMatchObject({
        traceId: sent.server.traceId,
        spanId: sent.client.spanId,
        parentSpanId: sent.server.spanId,
        serviceName,
        name: 'POST /charge',
        statusCode: 2,
        statusMessage: 'timeout',
        peerService: 'payments',
        attributes: { 'peer.service': 'payments', 'server.port': 8443 },
      });
      expect(storedServer.startTimeMs).toBeGreaterThanOrEqual(startMs - 1000);

      expect(stored.logs).toHaveLength(2);
      expect(stored.logs!.find(l => l.severityNumber === 17)).toMatchObject({
        serviceName,
        severityText: 'ERROR',
        body: 'payment call failed after 2 retries',
        traceId: sent.server.traceId,
        spanId: sent.server.spanId,
        attributes: { 'order.id': 'o-42', 'retry.count': 2 },
      });
      expect(stored.logs!.find(l => l.severityNumber === 9)).toMatchObject({
        serviceName,
        severityText: 'INFO',
        body: 'cart loaded',
        traceId: null,
        spanId: null,
      });

      const metricsByName = Object.fromEntries(
        stored.metrics!.map(m => [m.name, m]),
      );
      expect(metricsByName['http.server.request.count']).toMatchObject({
        serviceName,
        value: 7,
        attributes: { 'http.route': '/checkout' },
      });
      expect(metricsByName['http.server.request.duration'].value).toBeCloseTo(
        0.3,
      );
    },
  );

  it.each(['json', 'protobuf'] as const)(
    'refuses an exporter with a wrong token (%s) and stores nothing',
    async encoding => {
      const knex = await databases.init('SQLITE_3');
      const base = await startBackend(knex);

      const sent = await exportWithSdk({
        base,
        encoding,
        serviceName: 'intruder',
        token: 'wrong-token',
      });

      expect(sent.results.traces[0]).toBe('401 Unauthorized');
      const rows = await knex('telemetry_spans').count({ n: '*' });
      expect(Number(rows[0].n)).toBe(0);
    },
  );
});
