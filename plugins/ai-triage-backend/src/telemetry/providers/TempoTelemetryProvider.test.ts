import { startFakeHttpServer } from '../../__testUtils__/fakeHttpServer';
import { TempoTelemetryProvider } from './TempoTelemetryProvider';

const FROM_MS = 1_795_000_000_000;
const TO_MS = FROM_MS + 15 * 60_000;
const signal = new AbortController().signal;
const nanos = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');

const FAILING = '2f3c8b1a9d0e4f5a6b7c8d9e0f1a2b3c';
const RECENT = '0af7651916cd43dd8448eb211c80319c';

/** A trace as Tempo's GET /api/traces/<id> answers it: protobuf JSON with base64 ids and enum names. */
function tempoTrace(traceHex: string, failing: boolean) {
  const resource = (service: string) => ({
    attributes: [{ key: 'service.name', value: { stringValue: service } }],
  });
  return {
    batches: [
      {
        resource: resource('checkout'),
        scopeSpans: [
          {
            scope: { name: 'io.opentelemetry.http', version: '1.29.0' },
            spans: [
              {
                traceId: b64(traceHex),
                spanId: b64('b7ad6b7169203331'),
                name: 'POST /checkout',
                kind: 'SPAN_KIND_SERVER',
                startTimeUnixNano: nanos(FROM_MS + 60_000),
                endTimeUnixNano: nanos(FROM_MS + 62_500),
                attributes: [
                  {
                    key: 'http.response.status_code',
                    value: { intValue: failing ? '502' : '200' },
                  },
                ],
                status: failing
                  ? { code: 'STATUS_CODE_ERROR', message: 'upstream failed' }
                  : {},
              },
              {
                traceId: b64(traceHex),
                spanId: b64('00f067aa0ba902b7'),
                parentSpanId: b64('b7ad6b7169203331'),
                name: 'POST /charge',
                kind: 'SPAN_KIND_CLIENT',
                startTimeUnixNano: nanos(FROM_MS + 60_010),
                endTimeUnixNano: nanos(FROM_MS + 62_400),
                attributes: [
                  { key: 'peer.service', value: { stringValue: 'payments' } },
                ],
                status: failing ? { code: 'STATUS_CODE_ERROR' } : {},
              },
            ],
          },
        ],
      },
      {
        resource: resource('payments'),
        scopeSpans: [
          {
            scope: { name: 'io.opentelemetry.http' },
            spans: [
              {
                traceId: b64(traceHex),
                spanId: b64('1111111111111111'),
                parentSpanId: b64('00f067aa0ba902b7'),
                name: 'POST /charge',
                kind: 'SPAN_KIND_SERVER',
                startTimeUnixNano: nanos(FROM_MS + 60_020),
                endTimeUnixNano: nanos(FROM_MS + 62_300),
                status: {},
              },
            ],
          },
        ],
      },
    ],
  };
}

/** A TraceQL search answer, as GET /api/search documents it. */
function searchAnswer(traceIds: string[]) {
  return {
    traces: traceIds.map(traceID => ({
      traceID,
      rootServiceName: 'checkout',
      rootTraceName: 'POST /checkout',
      startTimeUnixNano: nanos(FROM_MS + 60_000),
      durationMs: 2500,
      spanSet: { spans: [], matched: 1 },
      spanSets: [{ spans: [], matched: 1 }],
    })),
    metrics: { inspectedBytes: '4096', completedJobs: 1, totalJobs: 1 },
  };
}

describe('TempoTelemetryProvider', () => {
  it('searches with TraceQL, reads each trace by id and keeps the service spans', async () => {
    const tempo = await startFakeHttpServer(request => {
      if (request.path === '/api/search') {
        const q = request.query.get('q')!;
        return {
          body: searchAnswer(
            q.includes('status = error') ? [FAILING] : [RECENT, FAILING],
          ),
        };
      }
      const id = request.path.split('/').pop()!;
      if (id === FAILING) return { body: tempoTrace(FAILING, true) };
      if (id === RECENT) return { body: tempoTrace(RECENT, false) };
      return { status: 404, body: 'trace not found' };
    });
    try {
      const provider = TempoTelemetryProvider.create({
        name: 'tempo',
        endpoint: {
          baseUrl: tempo.url,
          headers: { Authorization: 'Bearer t' },
        },
      });
      const result = await provider.fetch(
        { serviceName: 'checkout', fromMs: FROM_MS, toMs: TO_MS, limit: 100 },
        { signal },
      );

      const searches = tempo.requests.filter(r => r.path === '/api/search');
      expect(searches.map(r => r.query.get('q')).sort()).toEqual([
        '{ resource.service.name = "checkout" && status = error }',
        '{ resource.service.name = "checkout" }',
      ]);
      expect(Object.fromEntries(searches[0].query)).toMatchObject({
        start: String(FROM_MS / 1000),
        end: String(TO_MS / 1000),
        limit: '20',
      });
      expect(searches[0].headers.authorization).toBe('Bearer t');
      expect(
        tempo.requests
          .filter(r => r.path.startsWith('/api/traces/'))
          .map(r => r.path)
          .sort(),
      ).toEqual([`/api/traces/${RECENT}`, `/api/traces/${FAILING}`].sort());

      expect(result.missing).toEqual([]);
      expect(result.spans).toHaveLength(4);
      expect(result.spans!.every(s => s.serviceName === 'checkout')).toBe(true);
      const failingServer = result.spans!.find(
        s => s.traceId === FAILING && s.kind === 2,
      );
      expect(failingServer).toMatchObject({
        spanId: 'b7ad6b7169203331',
        parentSpanId: null,
        name: 'POST /checkout',
        startTimeMs: FROM_MS + 60_000,
        durationMs: 2500,
        statusCode: 2,
        statusMessage: 'upstream failed',
        attributes: { 'http.response.status_code': 502 },
      });
      expect(
        result.spans!.find(s => s.traceId === FAILING && s.kind === 3),
      ).toMatchObject({
        parentSpanId: 'b7ad6b7169203331',
        peerService: 'payments',
        statusCode: 2,
      });
      expect(
        result.spans!.find(s => s.traceId === RECENT && s.kind === 2)!
          .statusCode,
      ).toBe(0);
    } finally {
      await tempo.close();
    }
  });

  it('names a trace it could not read in missing and keeps the rest', async () => {
    const tempo = await startFakeHttpServer(request => {
      if (request.path === '/api/search')
        return { body: searchAnswer([RECENT, FAILING]) };
      if (request.path.endsWith(FAILING))
        return { status: 404, body: 'trace not found' };
      return { body: { resourceSpans: tempoTrace(RECENT, false).batches } };
    });
    try {
      const provider = TempoTelemetryProvider.create({
        name: 'tempo',
        endpoint: { baseUrl: tempo.url, headers: {} },
        maxTraces: 2,
      });
      const result = await provider.fetch(
        { serviceName: 'checkout', fromMs: FROM_MS, toMs: TO_MS, limit: 100 },
        { signal },
      );
      expect(result.missing).toEqual([
        `tempo: trace ${FAILING}: GET /api/traces/${FAILING} answered 404 Not Found: trace not found`,
      ]);
      expect(result.spans!.map(s => s.traceId)).toEqual([RECENT, RECENT]);
      // Two traces found with maxTraces 2: there may be more.
      expect(result.truncated).toEqual(['spans']);
    } finally {
      await tempo.close();
    }
  });
});
