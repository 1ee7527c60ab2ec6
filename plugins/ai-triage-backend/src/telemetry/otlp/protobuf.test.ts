import { InputError } from '@backstage/errors';
import { create, toBinary } from '@bufbuild/protobuf';
import { thirdPartyData } from '@internal/fixtures';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { readOtlpLogs } from './logs';
import { readOtlpMetrics } from './metrics';
import {
  OtlpSignal,
  decodeOtlpProtobuf,
  encodeOtlpProtobufResponse,
  encodeRpcStatus,
} from './protobuf';
import { readOtlpTraces } from './traces';
import { base64Ids } from '../../__testUtils__/otlpProtobuf';
import { ExportMetricsServiceRequestSchema } from './generated/opentelemetry/proto/collector/metrics/v1/metrics_service_pb';
import { ExportTraceServiceRequestSchema } from './generated/opentelemetry/proto/collector/trace/v1/trace_service_pb';

/** The opentelemetry-proto examples, kept outside the repository (see packages/fixtures). */
const fixtures = thirdPartyData(['otlp/']);

/** The backend package: buf.yaml there names the vendored .proto files (proto/). */
const PACKAGE_DIR = path.resolve(__dirname, '../../..');

const BUF = path.join(
  path.dirname(require.resolve('@bufbuild/buf/package.json')),
  'bin/buf',
);

const REQUEST_TYPES: Record<OtlpSignal, string> = {
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
  metrics:
    'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
};

const READERS = {
  traces: readOtlpTraces,
  metrics: readOtlpMetrics,
  logs: readOtlpLogs,
};

function fixture(name: string): any {
  return fixtures.readJson(`otlp/${name}`);
}

/**
 * `buf convert` from the vendored .proto files: protobuf-go, the reference implementation, and
 * not the code under test, writes (or reads) the binary form.
 */
function bufConvert(
  type: string,
  input: Buffer | string,
  from: 'json' | 'binpb',
  to: 'json' | 'binpb',
): Buffer {
  return execFileSync(
    process.execPath,
    [
      BUF,
      'convert',
      'proto',
      '--type',
      type,
      '--from',
      `-#format=${from}`,
      '--to',
      `-#format=${to}`,
    ],
    { cwd: PACKAGE_DIR, input, timeout: 30_000 },
  );
}

/** An opentelemetry-proto example as the binary export an SDK would send. */
function protobufExport(signal: OtlpSignal, name: string): Buffer {
  const json = JSON.stringify(base64Ids(fixture(name)));
  return bufConvert(REQUEST_TYPES[signal], json, 'json', 'binpb');
}

describe('decodeOtlpProtobuf', () => {
  fixtures.it.each([
    ['traces', 'trace.json', 1],
    ['metrics', 'metrics.json', 4],
    ['logs', 'logs.json', 1],
    ['logs', 'events.json', 1],
  ] as const)(
    'reads the %s of %s as protobuf into the same records as its JSON form',
    (signal, name, recordCount) => {
      const bytes = protobufExport(signal, name);
      // the binary form is not the JSON text in disguise
      expect(bytes.toString('utf8')).not.toContain('"resource');

      const fromProtobuf = READERS[signal](decodeOtlpProtobuf(signal, bytes));
      const fromJson = READERS[signal](fixture(name));

      expect(fromProtobuf.rejected).toBe(0);
      expect(fromProtobuf.records).toHaveLength(recordCount);
      expect(fromProtobuf).toEqual(fromJson);
    },
  );

  fixtures.it(
    'writes ids as hex, 64-bit integers as decimal strings and enums as numbers',
    () => {
      const decoded = decodeOtlpProtobuf(
        'traces',
        protobufExport('traces', 'trace.json'),
      ) as any;
      expect(decoded.resourceSpans[0].scopeSpans[0].spans[0]).toEqual({
        traceId: '5b8efff798038103d269b633813fc60c',
        spanId: 'eee19b7ec3c1b174',
        parentSpanId: 'eee19b7ec3c1b173',
        name: "I'm a server span",
        startTimeUnixNano: '1544712660000000000',
        endTimeUnixNano: '1544712661000000000',
        kind: 2,
        attributes: [
          { key: 'my.span.attr', value: { stringValue: 'some value' } },
        ],
      });
    },
  );

  fixtures.it(
    'keeps a log record of every AnyValue type as the JSON form has it',
    () => {
      const [fromProtobuf] = readOtlpLogs(
        decodeOtlpProtobuf('logs', protobufExport('logs', 'logs.json')),
      ).records;
      expect(fromProtobuf).toMatchObject({
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
      });
    },
  );

  it('writes the ids of span links and exemplars as hex too', () => {
    const traceId = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
    const spanId = Buffer.from('b7ad6b7169203331', 'hex');
    const traces = decodeOtlpProtobuf(
      'traces',
      toBinary(
        ExportTraceServiceRequestSchema,
        create(ExportTraceServiceRequestSchema, {
          resourceSpans: [
            {
              scopeSpans: [
                { spans: [{ traceId, spanId, links: [{ traceId, spanId }] }] },
              ],
            },
          ],
        }),
      ),
    ) as any;
    expect(traces.resourceSpans[0].scopeSpans[0].spans[0].links).toEqual([
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
      },
    ]);

    const metrics = decodeOtlpProtobuf(
      'metrics',
      toBinary(
        ExportMetricsServiceRequestSchema,
        create(ExportMetricsServiceRequestSchema, {
          resourceMetrics: [
            {
              scopeMetrics: [
                {
                  metrics: [
                    {
                      name: 'm',
                      data: {
                        case: 'gauge',
                        value: {
                          dataPoints: [
                            {
                              timeUnixNano: 1544712660000000000n,
                              value: { case: 'asInt', value: 7n },
                              exemplars: [{ traceId, spanId }],
                            },
                          ],
                        },
                      },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      ),
    ) as any;
    expect(
      metrics.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0],
    ).toEqual({
      timeUnixNano: '1544712660000000000',
      asInt: '7',
      exemplars: [
        {
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
        },
      ],
    });
  });

  fixtures.it(
    'rejects bytes that are not a message of the signal with an InputError naming it',
    () => {
      const truncated = protobufExport('traces', 'trace.json').subarray(0, 40);
      expect(() => decodeOtlpProtobuf('traces', truncated)).toThrow(InputError);
      expect(() => decodeOtlpProtobuf('traces', truncated)).toThrow(
        /^Invalid OTLP\/protobuf ExportTraceServiceRequest: /,
      );
    },
  );
});

describe('protobuf responses', () => {
  it('writes a partial success that protobuf-go reads back', () => {
    const bytes = encodeOtlpProtobufResponse('metrics', {
      rejected: 3,
      errorMessage: 'resourceMetrics[0]: bad',
    });
    const json = bufConvert(
      'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
      Buffer.from(bytes),
      'binpb',
      'json',
    );
    expect(JSON.parse(json.toString('utf8'))).toEqual({
      partialSuccess: {
        rejectedDataPoints: '3',
        errorMessage: 'resourceMetrics[0]: bad',
      },
    });
  });

  it('writes full success as an empty partialSuccess, as the SDKs expect', () => {
    expect(
      Buffer.from(
        encodeOtlpProtobufResponse('logs', { rejected: 0, errorMessage: '' }),
      ),
    ).toEqual(Buffer.from([0x0a, 0x00]));
  });

  it('writes a google.rpc.Status that protobuf-go reads back', () => {
    const bytes = encodeRpcStatus({ code: 3, message: 'Invalid OTLP' });
    const json = bufConvert(
      'google.rpc.Status',
      Buffer.from(bytes),
      'binpb',
      'json',
    );
    expect(JSON.parse(json.toString('utf8'))).toEqual({
      code: 3,
      message: 'Invalid OTLP',
    });
  });
});
