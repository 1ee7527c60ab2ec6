import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import express from 'express';
import { thirdPartyData } from '@internal/fixtures';
import zlib from 'node:zlib';
import request from 'supertest';
import { applyDatabaseMigrations } from '../database/migrations';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseTelemetryStore } from './DatabaseTelemetryStore';
import { createOtlpRouter } from './otlpRouter';
import { fromBinary } from '@bufbuild/protobuf';
import { otlpProtobufOf } from '../__testUtils__/otlpProtobuf';
import { ExportTraceServiceResponseSchema } from './otlp/generated/opentelemetry/proto/collector/trace/v1/trace_service_pb';

jest.setTimeout(60_000);

/** The opentelemetry-proto examples, kept outside the repository (see packages/fixtures). */
const fixtures = thirdPartyData(['otlp/']);

function fixtureText(name: string): string {
  return fixtures.read(`otlp/${name}`);
}

/** The examples' timestamps (2018-12-13T14:51:00Z) and service. */
const EXAMPLE_QUERY = {
  serviceName: 'my.service',
  fromMs: 1544712600000,
  toMs: 1544712700000,
  limit: 100,
};
const signal = new AbortController().signal;

describe('createOtlpRouter', () => {
  const databases = createTestDatabases();
  let app: express.Express;
  let store: DatabaseTelemetryStore;

  beforeEach(async () => {
    const knex = await databases.init('SQLITE_3');
    await applyDatabaseMigrations(knex);
    store = DatabaseTelemetryStore.create({ knex });
    app = express()
      .use(
        await createOtlpRouter({
          store,
          httpAuth: mockServices.httpAuth(),
          logger: mockServices.logger.mock(),
        }),
      )
      .use(mockErrorHandler());
  });

  function post(signalPath: string) {
    return request(app)
      .post(signalPath)
      .set('authorization', mockCredentials.service.header());
  }

  fixtures.it.each([
    ['/v1/traces', 'trace.json', 'spans'],
    ['/v1/metrics', 'metrics.json', 'metrics'],
    ['/v1/logs', 'logs.json', 'logs'],
  ] as const)(
    'stores an OTLP/JSON export on %s',
    async (signalPath, file, key) => {
      const response = await post(signalPath)
        .set('content-type', 'application/json')
        .send(fixtureText(file));

      expect(response.status).toBe(200);
      expect(response.body).toEqual({ partialSuccess: {} });
      const stored = await store.fetch(EXAMPLE_QUERY, { signal });
      expect(stored[key]!.length).toBeGreaterThan(0);
    },
  );

  fixtures.it(
    'takes a gzipped body, as exporters send with compression on',
    async () => {
      const pending = post('/v1/traces')
        .set('content-type', 'application/json')
        .set('content-encoding', 'gzip');
      // write(), not send(): superagent would serialize a Buffer sent as application/json.
      pending.write(zlib.gzipSync(fixtureText('trace.json')));
      const response = await pending;

      expect(response.status).toBe(200);
      const { spans } = await store.fetch(EXAMPLE_QUERY, { signal });
      expect(spans!.map(s => s.spanId)).toEqual(['eee19b7ec3c1b174']);
    },
  );

  fixtures.it(
    'stores the valid spans of an export and reports the invalid ones as a partial success',
    async () => {
      const body = JSON.parse(fixtureText('trace.json'));
      body.resourceSpans[0].scopeSpans[0].spans.push({
        ...body.resourceSpans[0].scopeSpans[0].spans[0],
        spanId: 'not-hex',
      });
      const response = await post('/v1/traces').send(body);

      expect(response.status).toBe(200);
      expect(response.body).toEqual({
        partialSuccess: {
          rejectedSpans: 1,
          errorMessage:
            'resourceSpans[0].scopeSpans[0].spans[1].spanId: expected a span id of 16 hex characters',
        },
      });
      const { spans } = await store.fetch(EXAMPLE_QUERY, { signal });
      expect(spans!.map(s => s.spanId)).toEqual(['eee19b7ec3c1b174']);
    },
  );

  it('answers a request of the wrong structure with 400 and a google.rpc.Status, storing nothing', async () => {
    const response = await post('/v1/traces').send({ resourceSpans: {} });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      code: 3,
      message:
        'Invalid OTLP/JSON ExportTraceServiceRequest: resourceSpans: Expected array, received object',
    });
  });

  it('answers invalid JSON with 400', async () => {
    const response = await post('/v1/logs')
      .set('content-type', 'application/json')
      .send('{"resourceLogs": [');
    expect(response.status).toBe(400);
  });

  it('answers bytes that are not an OTLP protobuf message with 400, as a protobuf Status', async () => {
    const response = await post('/v1/metrics')
      .set('content-type', 'application/x-protobuf')
      .send(Buffer.from([0x0a, 0x05, 0x01]))
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });

    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(
      /^application\/x-protobuf/,
    );
    // google.rpc.Status: field 1 (code) = 3, field 2 (message) = the text.
    const bytes = response.body as Buffer;
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x08, 0x03]));
    expect(bytes.toString('utf8')).toContain(
      'Invalid OTLP/protobuf ExportMetricsServiceRequest',
    );
  });

  it('stores an OTLP/protobuf export and answers partial success in protobuf', async () => {
    const span = (spanId: string) => ({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId,
      name: 'GET /cart',
      kind: 2,
      startTimeUnixNano: '1544712660000000000',
      endTimeUnixNano: '1544712661000000000',
    });
    const body = otlpProtobufOf('traces', {
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'my.service' } },
            ],
          },
          // the second span's id has 3 bytes instead of 8
          scopeSpans: [{ spans: [span('eee19b7ec3c1b174'), span('abcdef')] }],
        },
      ],
    });

    const response = await post('/v1/traces')
      .set('content-type', 'application/x-protobuf')
      .send(body)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(
      /^application\/x-protobuf/,
    );
    expect(
      fromBinary(ExportTraceServiceResponseSchema, response.body as Buffer),
    ).toMatchObject({
      partialSuccess: {
        rejectedSpans: 1n,
        errorMessage:
          'resourceSpans[0].scopeSpans[0].spans[1].spanId: expected a span id of 16 hex characters',
      },
    });
    const { spans } = await store.fetch(EXAMPLE_QUERY, { signal });
    expect(spans!.map(s => [s.spanId, s.name, s.durationMs])).toEqual([
      ['eee19b7ec3c1b174', 'GET /cart', 1000],
    ]);
  });

  it('answers other content types with 415', async () => {
    const response = await post('/v1/logs')
      .set('content-type', 'text/plain')
      .send('hello');
    expect(response.status).toBe(415);
    expect(response.body).toEqual({
      code: 3,
      message:
        'Content-Type must be application/x-protobuf or application/json (OTLP/HTTP), got text/plain',
    });
  });

  it('answers an unknown Content-Encoding with 415', async () => {
    const response = await post('/v1/logs')
      .set('content-type', 'application/json')
      .set('content-encoding', 'br')
      .send('{}');
    expect(response.status).toBe(415);
    expect(response.body.message).toContain('send gzip or no Content-Encoding');
  });

  it('answers a body over 10mb with 413', async () => {
    const response = await post('/v1/logs')
      .set('content-type', 'application/json')
      .send(`{"pad":"${'x'.repeat(10 * 1024 * 1024)}"}`);
    expect(response.status).toBe(413);
    expect(response.body.message).toBe(
      'The OTLP export is larger than the 10mb limit (after decompression)',
    );
  });

  it('counts the limit after gzip is undone', async () => {
    const pending = post('/v1/logs')
      .set('content-type', 'application/json')
      .set('content-encoding', 'gzip');
    pending.write(zlib.gzipSync(`{"pad":"${'x'.repeat(11 * 1024 * 1024)}"}`));
    const response = await pending;
    expect(response.status).toBe(413);
  });

  fixtures.it('wants a service token: none is 401, a user is 403', async () => {
    const anonymous = await request(app)
      .post('/v1/traces')
      .set('authorization', mockCredentials.none.header())
      .send(fixtureText('trace.json'));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.code).toBe(16);

    const user = await request(app)
      .post('/v1/traces')
      .set('authorization', mockCredentials.user.header())
      .set('content-type', 'application/json')
      .send(fixtureText('trace.json'));
    expect(user.status).toBe(403);
    expect(user.body.code).toBe(7);

    const { spans } = await store.fetch(EXAMPLE_QUERY, { signal });
    expect(spans).toEqual([]);
  });
});
