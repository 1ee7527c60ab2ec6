import { startFakeHttpServer } from '../../__testUtils__/fakeHttpServer';
import { LokiTelemetryProvider } from './LokiTelemetryProvider';

const FROM_MS = 1_795_000_000_000;
const TO_MS = FROM_MS + 15 * 60_000;
const ns = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const signal = new AbortController().signal;

/** A Loki `query_range` answer for a log query, as the HTTP API documents it. */
function streamsAnswer(result: unknown[]) {
  return {
    status: 'success',
    data: {
      resultType: 'streams',
      result,
      stats: {
        summary: { bytesProcessedPerSecond: 1000, totalLinesProcessed: 3 },
      },
    },
  };
}

describe('LokiTelemetryProvider', () => {
  it('reads the service logs with LogQL query_range: levels, trace ids, labels, window', async () => {
    const loki = await startFakeHttpServer(() => ({
      body: streamsAnswer([
        {
          stream: {
            service_name: 'checkout',
            detected_level: 'error',
            k8s_pod_name: 'checkout-7d9',
          },
          values: [
            [ns(FROM_MS + 120_000), 'payment call failed after 2 retries'],
            [ns(FROM_MS + 60_000), 'payment call failed after 1 retries'],
          ],
        },
        {
          stream: { service_name: 'checkout', level: 'info' },
          values: [
            [
              ns(FROM_MS + 90_000),
              'cart loaded',
              {
                trace_id: '5B8EFFF798038103D269B633813FC60C',
                span_id: 'eee19b7ec3c1b174',
              },
            ],
            [ns(TO_MS + 1), 'after the window'],
          ],
        },
      ]),
    }));
    try {
      const provider = LokiTelemetryProvider.create({
        name: 'loki',
        endpoint: {
          baseUrl: `${loki.url}/`,
          headers: { 'X-Scope-OrgID': 'shop' },
        },
      });
      const result = await provider.fetch(
        { serviceName: 'checkout', fromMs: FROM_MS, toMs: TO_MS, limit: 100 },
        { signal },
      );

      expect(loki.requests).toHaveLength(1);
      const [request] = loki.requests;
      expect(request.path).toBe('/loki/api/v1/query_range');
      expect(Object.fromEntries(request.query)).toEqual({
        query: '{service_name="checkout"}',
        start: ns(FROM_MS),
        end: ns(TO_MS),
        limit: '100',
        direction: 'backward',
      });
      expect(request.headers['x-scope-orgid']).toBe('shop');

      expect(result.truncated).toEqual([]);
      expect(result.logs).toEqual([
        {
          serviceName: 'checkout',
          timestampMs: FROM_MS + 60_000,
          severityText: 'ERROR',
          severityNumber: 17,
          body: 'payment call failed after 1 retries',
          traceId: null,
          spanId: null,
          attributes: {
            service_name: 'checkout',
            k8s_pod_name: 'checkout-7d9',
          },
        },
        {
          serviceName: 'checkout',
          timestampMs: FROM_MS + 90_000,
          severityText: 'INFO',
          severityNumber: 9,
          body: 'cart loaded',
          traceId: '5b8efff798038103d269b633813fc60c',
          spanId: 'eee19b7ec3c1b174',
          attributes: { service_name: 'checkout' },
        },
        expect.objectContaining({
          timestampMs: FROM_MS + 120_000,
          body: 'payment call failed after 2 retries',
        }),
      ]);
    } finally {
      await loki.close();
    }
  });

  it("uses the entity's selector annotation and says logs were truncated at the limit", async () => {
    const loki = await startFakeHttpServer(() => ({
      body: streamsAnswer([
        {
          stream: { app: 'checkout' },
          values: [
            [ns(FROM_MS + 2000), 'b'],
            [ns(FROM_MS + 1000), 'a'],
          ],
        },
      ]),
    }));
    try {
      const provider = LokiTelemetryProvider.create({
        name: 'loki',
        endpoint: { baseUrl: loki.url, headers: {} },
      });
      const result = await provider.fetch(
        {
          serviceName: 'checkout',
          fromMs: FROM_MS,
          toMs: TO_MS,
          limit: 2,
          entity: {
            ref: 'component:default/checkout',
            annotations: {
              'ai-triage.io/loki-selector': '{app="checkout",namespace="shop"}',
            },
          },
        },
        { signal },
      );
      expect(loki.requests[0].query.get('query')).toBe(
        '{app="checkout",namespace="shop"}',
      );
      expect(result.logs!.map(l => l.body)).toEqual(['a', 'b']);
      expect(result.truncated).toEqual(['logs']);
    } finally {
      await loki.close();
    }
  });

  it('fails with the status and message Loki answered', async () => {
    const loki = await startFakeHttpServer(() => ({
      status: 400,
      body: 'parse error at line 1, col 1: syntax error: unexpected IDENTIFIER',
    }));
    try {
      const provider = LokiTelemetryProvider.create({
        name: 'loki',
        endpoint: { baseUrl: loki.url, headers: {} },
      });
      await expect(
        provider.fetch(
          { serviceName: 'checkout', fromMs: FROM_MS, toMs: TO_MS, limit: 10 },
          { signal },
        ),
      ).rejects.toThrow(
        'GET /loki/api/v1/query_range answered 400 Bad Request: parse error at line 1',
      );
    } finally {
      await loki.close();
    }
  });
});
