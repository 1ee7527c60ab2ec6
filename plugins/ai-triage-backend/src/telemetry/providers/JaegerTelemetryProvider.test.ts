import { startFakeHttpServer } from '../../__testUtils__/fakeHttpServer';
import { JaegerTelemetryProvider } from './JaegerTelemetryProvider';

const FROM_MS = 1_795_000_000_000;
const TO_MS = FROM_MS + 15 * 60_000;
const signal = new AbortController().signal;
const micros = (ms: number) => ms * 1000;

/** A trace as the Jaeger query service's GET /api/traces answers it. */
function jaegerTrace(traceID: string, failing: boolean) {
  return {
    traceID,
    spans: [
      {
        traceID,
        spanID: 'b7ad6b7169203331',
        flags: 1,
        operationName: 'POST /checkout',
        references: [],
        startTime: micros(FROM_MS + 60_000),
        duration: 2_500_000,
        tags: [
          { key: 'span.kind', type: 'string', value: 'server' },
          {
            key: 'http.response.status_code',
            type: 'int64',
            value: failing ? 502 : 200,
          },
          ...(failing
            ? [
                { key: 'otel.status_code', type: 'string', value: 'ERROR' },
                {
                  key: 'otel.status_description',
                  type: 'string',
                  value: 'upstream failed',
                },
                { key: 'error', type: 'bool', value: true },
              ]
            : []),
        ],
        logs: [],
        processID: 'p1',
        warnings: null,
      },
      {
        traceID,
        spanID: '00f067aa0ba902b7',
        flags: 1,
        operationName: 'POST /charge',
        references: [
          { refType: 'CHILD_OF', traceID, spanID: 'b7ad6b7169203331' },
        ],
        startTime: micros(FROM_MS + 60_010),
        duration: 2_390_000,
        tags: [
          { key: 'span.kind', type: 'string', value: 'client' },
          { key: 'peer.service', type: 'string', value: 'payments' },
        ],
        logs: [],
        processID: 'p1',
        warnings: null,
      },
      {
        traceID,
        spanID: '1111111111111111',
        flags: 1,
        operationName: 'POST /charge',
        references: [
          { refType: 'CHILD_OF', traceID, spanID: '00f067aa0ba902b7' },
        ],
        startTime: micros(FROM_MS + 60_020),
        duration: 2_300_000,
        tags: [{ key: 'span.kind', type: 'string', value: 'server' }],
        logs: [],
        processID: 'p2',
        warnings: null,
      },
    ],
    processes: {
      p1: {
        serviceName: 'checkout',
        tags: [{ key: 'host.name', type: 'string', value: 'node-1' }],
      },
      p2: { serviceName: 'payments', tags: [] },
    },
    warnings: null,
  };
}

describe('JaegerTelemetryProvider', () => {
  it("reads the service's failing and recent traces from the query API", async () => {
    const jaeger = await startFakeHttpServer(request => {
      const failingOnly = request.query.has('tags');
      return {
        body: {
          data: failingOnly
            ? [jaegerTrace('5b8efff798038103d269b633813fc60c', true)]
            : [
                jaegerTrace('5b8efff798038103d269b633813fc60c', true),
                // a 64-bit trace id, as older Jaeger clients send
                jaegerTrace('d269b633813fc60c', false),
              ],
          total: 0,
          limit: 0,
          offset: 0,
          errors: null,
        },
      };
    });
    try {
      const provider = JaegerTelemetryProvider.create({
        name: 'jaeger',
        endpoint: { baseUrl: jaeger.url, headers: {} },
      });
      const result = await provider.fetch(
        { serviceName: 'checkout', fromMs: FROM_MS, toMs: TO_MS, limit: 100 },
        { signal },
      );

      expect(jaeger.requests.map(r => r.path)).toEqual([
        '/api/traces',
        '/api/traces',
      ]);
      const failingQuery = jaeger.requests.find(r => r.query.has('tags'))!;
      expect(Object.fromEntries(failingQuery.query)).toEqual({
        service: 'checkout',
        start: String(micros(FROM_MS)),
        end: String(micros(TO_MS)),
        limit: '20',
        tags: '{"error":"true"}',
      });

      expect(result.missing).toEqual([]);
      expect(result.truncated).toEqual([]);
      expect(result.spans).toHaveLength(4);
      expect(result.spans![0]).toEqual({
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'b7ad6b7169203331',
        parentSpanId: null,
        serviceName: 'checkout',
        name: 'POST /checkout',
        kind: 2,
        startTimeMs: FROM_MS + 60_000,
        durationMs: 2500,
        statusCode: 2,
        statusMessage: 'upstream failed',
        peerService: null,
        attributes: {
          'span.kind': 'server',
          'http.response.status_code': 502,
          'otel.status_code': 'ERROR',
          'otel.status_description': 'upstream failed',
          error: true,
        },
      });
      const client = result.spans!.find(
        s => s.kind === 3 && s.traceId === '5b8efff798038103d269b633813fc60c',
      );
      expect(client).toMatchObject({
        parentSpanId: 'b7ad6b7169203331',
        peerService: 'payments',
        statusCode: 0,
      });
      expect(
        result.spans!.filter(
          s => s.traceId === '0000000000000000d269b633813fc60c',
        ),
      ).toHaveLength(2);
    } finally {
      await jaeger.close();
    }
  });

  it('names the errors Jaeger reports in missing', async () => {
    const jaeger = await startFakeHttpServer(() => ({
      body: {
        data: [],
        total: 0,
        limit: 0,
        offset: 0,
        errors: [{ code: 500, msg: 'storage backend unavailable' }],
      },
    }));
    try {
      const provider = JaegerTelemetryProvider.create({
        name: 'jaeger',
        endpoint: { baseUrl: jaeger.url, headers: {} },
      });
      const result = await provider.fetch(
        { serviceName: 'checkout', fromMs: FROM_MS, toMs: TO_MS, limit: 100 },
        { signal },
      );
      expect(result.spans).toEqual([]);
      expect(result.missing).toEqual(['jaeger: storage backend unavailable']);
    } finally {
      await jaeger.close();
    }
  });
});
