import { InputError } from '@backstage/errors';
import { thirdPartyData } from '@internal/fixtures';
import { parseOtlpLogs, readOtlpLogs } from './logs';
import { parseOtlpMetrics, readOtlpMetrics } from './metrics';
import { parseOtlpTraces, readOtlpTraces } from './traces';

/** The opentelemetry-proto examples, kept outside the repository (see packages/fixtures). */
const fixtures = thirdPartyData(['otlp/']);

function fixture(name: string): any {
  return fixtures.readJson(`otlp/${name}`);
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

function traceWith(
  span: Record<string, unknown>,
  resourceAttributes: unknown[] = [],
) {
  return {
    resourceSpans: [
      {
        resource: { attributes: resourceAttributes },
        scopeSpans: [
          {
            spans: [
              {
                traceId: '0af7651916cd43dd8448eb211c80319c',
                spanId: 'b7ad6b7169203331',
                name: 'GET /pay',
                kind: 3,
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000250000000',
                ...span,
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('parseOtlpTraces', () => {
  fixtures.it('parses the opentelemetry-proto trace example', () => {
    expect(parseOtlpTraces(fixture('trace.json'))).toEqual([
      {
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'eee19b7ec3c1b174',
        parentSpanId: 'eee19b7ec3c1b173',
        serviceName: 'my.service',
        name: "I'm a server span",
        kind: 2,
        startTimeMs: 1544712660000,
        durationMs: 1000,
        statusCode: 0,
        statusMessage: null,
        peerService: null,
        attributes: { 'my.span.attr': 'some value' },
      },
    ]);
  });

  it('takes numbers for 64-bit fields, keeps sub-millisecond durations and reads the status', () => {
    const [span] = parseOtlpTraces(
      traceWith({
        startTimeUnixNano: 1_700_000_000_000_000_000,
        endTimeUnixNano: '1700000000001500000',
        status: { code: 2, message: 'payment declined' },
        parentSpanId: '',
      }),
    );
    expect(span).toMatchObject({
      startTimeMs: 1_700_000_000_000,
      durationMs: 1.5,
      statusCode: 2,
      statusMessage: 'payment declined',
      parentSpanId: null,
      serviceName: 'unknown_service',
    });
  });

  it.each([
    [
      { 'peer.service': 'payments', 'server.address': 'payments.svc' },
      'payments',
    ],
    [
      { 'server.address': 'payments.svc', 'db.system': 'postgresql' },
      'payments.svc',
    ],
    [{ 'net.peer.name': 'legacy-host' }, 'legacy-host'],
    [{ 'db.system': 'postgresql' }, 'postgresql'],
    [{ 'url.full': 'https://api.stripe.com/v1/charges' }, 'api.stripe.com'],
    [{}, null],
  ])('names the peer of a client span from %j', (attributes, peer) => {
    const otlpAttributes = Object.entries(attributes).map(([key, value]) => ({
      key,
      value: { stringValue: value },
    }));
    const [span] = parseOtlpTraces(traceWith({ attributes: otlpAttributes }));
    expect(span.peerService).toBe(peer);
  });

  it('gives server spans no peer even when they carry peer attributes', () => {
    const [span] = parseOtlpTraces(
      traceWith({
        kind: 2,
        attributes: [{ key: 'peer.service', value: { stringValue: 'x' } }],
      }),
    );
    expect(span.peerService).toBeNull();
  });

  it('reads span links, and leaves them out of spans without any', () => {
    const [linked] = parseOtlpTraces(
      traceWith({
        kind: 5,
        links: [
          {
            traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
            spanId: '00f067aa0ba902b7',
            attributes: [],
          },
        ],
      }),
    );
    expect(linked.links).toEqual([
      {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        spanId: '00f067aa0ba902b7',
      },
    ]);
    const [plain] = parseOtlpTraces(traceWith({ links: [] }));
    expect(plain).not.toHaveProperty('links');
    expect(() =>
      parseOtlpTraces(traceWith({ links: [{ traceId: 'xyz', spanId: '1' }] })),
    ).toThrow(/links/);
  });

  it('accepts an empty request', () => {
    expect(parseOtlpTraces({})).toEqual([]);
    expect(parseOtlpTraces({ resourceSpans: [] })).toEqual([]);
  });

  fixtures.it('names the path of a bad field', () => {
    const body = fixture('trace.json');
    const good = body.resourceSpans[0].scopeSpans[0].spans[0];
    const bad = { ...good, startTimeUnixNano: '15447126600000000000000' };
    body.resourceSpans[0].scopeSpans.push({ spans: [good, good, good, bad] });
    const error = errorOf(() => parseOtlpTraces(body));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      'Invalid OTLP/JSON ExportTraceServiceRequest: resourceSpans[0].scopeSpans[1].spans[3].startTimeUnixNano: ' +
        'expected an unsigned 64-bit integer as a decimal string or number, got "15447126600000000000000"',
    );
  });

  it.each([
    [{ traceId: 'xyz' }, 'traceId: expected a trace id of 32 hex characters'],
    [{ spanId: 42 }, 'spanId: expected a span id as a hex string'],
    [
      { parentSpanId: 'abc' },
      'parentSpanId: expected a parent span id of 16 hex characters, or ""',
    ],
    [{ kind: 'SPAN_KIND_CLIENT' }, 'kind: expected an integer enum value'],
    [{ kind: 9 }, 'kind: expected an integer from 0 to 5'],
    [
      { endTimeUnixNano: '1600000000000000000' },
      'endTimeUnixNano: is before startTimeUnixNano',
    ],
    [
      { endTimeUnixNano: null },
      'endTimeUnixNano: expected an unsigned 64-bit integer',
    ],
    [
      { attributes: [{ key: 'a', value: { intValue: 'ten' } }] },
      'attributes[0].value.intValue: expected a 64-bit integer',
    ],
  ])('rejects %j', (span, message) => {
    const error = errorOf(() => parseOtlpTraces(traceWith(span)));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(
      `resourceSpans[0].scopeSpans[0].spans[0].${message}`,
    );
  });

  it.each([[undefined], [null], ['{}'], [[]]])(
    'rejects a body that is not an object: %j',
    body => {
      expect(() => parseOtlpTraces(body)).toThrow(
        /^Expected an OTLP\/JSON ExportTraceServiceRequest object/,
      );
    },
  );

  it('rejects a service name the store cannot hold', () => {
    const error = errorOf(() =>
      parseOtlpTraces(
        traceWith({}, [
          { key: 'service.name', value: { stringValue: 'x'.repeat(300) } },
        ]),
      ),
    );
    expect(error.message).toContain(
      'resourceSpans[0].resource.attributes: service.name is longer than 255 characters',
    );
  });
});

describe('parseOtlpLogs', () => {
  fixtures.it(
    'parses the opentelemetry-proto log example with every AnyValue type',
    () => {
      expect(parseOtlpLogs(fixture('logs.json'))).toEqual([
        {
          serviceName: 'my.service',
          timestampMs: 1544712660300,
          severityText: 'Information',
          severityNumber: 10,
          body: 'Example log record',
          traceId: '5b8efff798038103d269b633813fc60c',
          spanId: 'eee19b7ec3c1b174',
          attributes: {
            'string.attribute': 'some string',
            'boolean.attribute': true,
            'int.attribute': 10,
            'double.attribute': 637.704,
            'array.attribute': '["many","values"]',
            'map.attribute': '{"some.map.key":"some value"}',
          },
        },
      ]);
    },
  );

  fixtures.it(
    'parses the event example: a structured body becomes JSON, the event name an attribute',
    () => {
      const [record] = parseOtlpLogs(fixture('events.json'));
      expect(record.body).toBe(
        '{"type":0,"url":"https://www.guidgenerator.com/online-guid-generator.aspx",' +
          '"referrer":"https://wwww.google.com","title":"Free Online GUID Generator"}',
      );
      expect(record.attributes).toEqual({
        'event.attribute': 'some event attribute',
        'event.name': 'browser.page_view',
      });
      expect(record.traceId).toBeNull();
    },
  );

  it('falls back to the observed time and derives the severity text from its number', () => {
    const [record] = parseOtlpLogs({
      resourceLogs: [
        {
          scopeLogs: [
            {
              logRecords: [
                {
                  observedTimeUnixNano: '1700000000123000000',
                  severityNumber: 17,
                  traceId: '',
                },
              ],
            },
          ],
        },
      ],
    });
    expect(record).toEqual({
      serviceName: 'unknown_service',
      timestampMs: 1_700_000_000_123,
      severityText: 'ERROR',
      severityNumber: 17,
      body: '',
      traceId: null,
      spanId: null,
      attributes: {},
    });
  });

  fixtures.it('rejects a record without any time, naming its path', () => {
    const body = fixture('logs.json');
    delete body.resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano;
    delete body.resourceLogs[0].scopeLogs[0].logRecords[0].observedTimeUnixNano;
    expect(() => parseOtlpLogs(body)).toThrow(
      'resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano: neither timeUnixNano nor observedTimeUnixNano is set',
    );
  });

  fixtures.it('rejects a severity number out of range', () => {
    const body = fixture('logs.json');
    body.resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber = 30;
    expect(() => parseOtlpLogs(body)).toThrow(
      'resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber: expected an integer from 0 to 24',
    );
  });
});

describe('parseOtlpMetrics', () => {
  fixtures.it(
    'parses the opentelemetry-proto metrics example: sums, gauges and histogram means',
    () => {
      expect(parseOtlpMetrics(fixture('metrics.json'))).toEqual([
        {
          serviceName: 'my.service',
          name: 'my.counter',
          timestampMs: 1544712660300,
          value: 5,
          attributes: { 'my.counter.attr': 'some value' },
        },
        {
          serviceName: 'my.service',
          name: 'my.gauge',
          timestampMs: 1544712660300,
          value: 10,
          attributes: { 'my.gauge.attr': 'some value' },
        },
        {
          serviceName: 'my.service',
          name: 'my.histogram',
          timestampMs: 1544712660300,
          value: 1,
          attributes: { 'my.histogram.attr': 'some value' },
        },
        {
          serviceName: 'my.service',
          name: 'my.exponential.histogram',
          timestampMs: 1544712660300,
          value: 10 / 3,
          attributes: { 'my.exponential.histogram.attr': 'some value' },
        },
      ]);
    },
  );

  function gauge(dataPoints: unknown[]) {
    return {
      resourceMetrics: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: 'checkout' } },
            ],
          },
          scopeMetrics: [
            { metrics: [{ name: 'db.pool.usage', gauge: { dataPoints } }] },
          ],
        },
      ],
    };
  }

  it('reads integer points and skips points without a value', () => {
    const points = parseOtlpMetrics(
      gauge([
        { timeUnixNano: '1700000000000000000', asInt: '42' },
        { timeUnixNano: '1700000000000000000', asDouble: 'NaN' },
        { timeUnixNano: '1700000000000000000', flags: 1 },
      ]),
    );
    expect(points.map(p => [p.serviceName, p.name, p.value])).toEqual([
      ['checkout', 'db.pool.usage', 42],
    ]);
  });

  it.each([
    [
      { timeUnixNano: '1700000000000000000' },
      'dataPoints[0]: has neither asDouble nor asInt',
    ],
    [
      { asDouble: 1 },
      'dataPoints[0].timeUnixNano: expected an unsigned 64-bit integer',
    ],
    [
      { timeUnixNano: '1', asDouble: 'lots' },
      'dataPoints[0].asDouble: expected a number, got "lots"',
    ],
  ])('rejects the point %j', (point, message) => {
    expect(() => parseOtlpMetrics(gauge([point]))).toThrow(
      `resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.${message}`,
    );
  });

  fixtures.it('rejects a metric without a name', () => {
    const body = fixture('metrics.json');
    body.resourceMetrics[0].scopeMetrics[0].metrics[2].name = '';
    expect(() => parseOtlpMetrics(body)).toThrow(
      'resourceMetrics[0].scopeMetrics[0].metrics[2].name: expected a metric name',
    );
  });
});

describe('readOtlpTraces / readOtlpLogs / readOtlpMetrics (partial success)', () => {
  fixtures.it(
    'keeps the valid records and counts the invalid ones, naming their paths',
    () => {
      const body = fixture('trace.json');
      const good = body.resourceSpans[0].scopeSpans[0].spans[0];
      body.resourceSpans[0].scopeSpans[0].spans.push(
        { ...good, spanId: 'zz' },
        { ...good, spanId: 'b7ad6b7169203331', endTimeUnixNano: '1' },
      );
      const result = readOtlpTraces(body);
      expect(result.records.map(s => s.spanId)).toEqual(['eee19b7ec3c1b174']);
      expect(result.rejected).toBe(2);
      expect(result.errorMessage).toBe(
        'resourceSpans[0].scopeSpans[0].spans[1].spanId: expected a span id of 16 hex characters; ' +
          'resourceSpans[0].scopeSpans[0].spans[2].endTimeUnixNano: is before startTimeUnixNano',
      );
    },
  );

  fixtures.it(
    'rejects every record of a resource whose service.name is too long, and keeps other resources',
    () => {
      const body = fixture('logs.json');
      const recordCount = body.resourceLogs[0].scopeLogs[0].logRecords.length;
      body.resourceLogs.push({
        ...body.resourceLogs[0],
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'x'.repeat(300) } },
          ],
        },
      });
      const result = readOtlpLogs(body);
      expect(result.records).toHaveLength(recordCount);
      expect(result.rejected).toBe(recordCount);
      expect(result.errorMessage).toContain(
        'resourceLogs[1].resource.attributes: service.name is longer than 255 characters',
      );
    },
  );

  fixtures.it('counts the data points of an invalid metric as rejected', () => {
    const body = fixture('metrics.json');
    const metric = body.resourceMetrics[0].scopeMetrics[0].metrics[0];
    const points = metric.sum.dataPoints.length;
    metric.name = '';
    const result = readOtlpMetrics(body);
    expect(result.rejected).toBe(points);
    expect(result.records.map(p => p.name)).not.toContain('my.counter');
    expect(result.errorMessage).toBe(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].name: expected a metric name',
    );
  });

  it('still rejects a request of the wrong structure as a whole', () => {
    expect(() => readOtlpTraces({ resourceSpans: 'all of them' })).toThrow(
      InputError,
    );
  });
});
