import {
  SpanRecord,
  TelemetryAttributes,
} from '@ai-triage/plugin-ai-triage-node';
import { z } from 'zod';
import { attributesSchema, flattenAttributes } from './anyValue';
import { OtlpReadOptions } from './limits';
import {
  OtlpParseResult,
  OtlpSteps,
  ParseResultBuilder,
  allOrNothing,
  parse,
  runSync,
} from './parseResult';
import { recordResourceAttributes } from './resource';
import {
  MAX_NAME_LENGTH,
  enumInt,
  hexId,
  nanosToMs,
  optionalHexId,
  uint64,
} from './scalars';

/** OTLP SpanKind CLIENT. */
const SPAN_KIND_CLIENT = 3;

/**
 * Attributes that name the service a client span calls, most specific first: the explicit
 * `peer.service`, then the address of the server (current and legacy semantic conventions),
 * then the kind of system for databases and brokers.
 */
const PEER_ATTRIBUTES = [
  'peer.service',
  'server.address',
  'net.peer.name',
  'db.system.name',
  'db.system',
  'messaging.system',
  'rpc.service',
];

/**
 * Links kept per span: a consumer handling a batch links to one producer per message, and
 * batches of tens are common; the SDK's default span limit is 128 links.
 */
const MAX_SPAN_LINKS = 128;

const spanSchema = z
  .object({
    traceId: hexId(16, 'trace id'),
    spanId: hexId(8, 'span id'),
    parentSpanId: optionalHexId(8, 'parent span id'),
    name: z.string().default(''),
    kind: enumInt(5),
    startTimeUnixNano: uint64,
    endTimeUnixNano: uint64,
    attributes: attributesSchema,
    status: z
      .object({ code: enumInt(2), message: z.string().optional() })
      .optional(),
    links: z
      .array(
        z.object({
          traceId: hexId(16, 'trace id'),
          spanId: hexId(8, 'span id'),
        }),
      )
      .max(MAX_SPAN_LINKS)
      .optional(),
  })
  .superRefine((span, ctx) => {
    if (span.endTimeUnixNano < span.startTimeUnixNano) {
      ctx.addIssue({
        code: 'custom',
        path: ['endTimeUnixNano'],
        message: 'is before startTimeUnixNano',
      });
    }
  });

const traceRequestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.unknown().optional(),
        scopeSpans: z
          .array(z.object({ spans: z.array(z.unknown()).optional() }))
          .optional(),
      }),
    )
    .optional(),
});

export function peerServiceOf(
  kind: number,
  attributes: TelemetryAttributes,
): string | null {
  if (kind !== SPAN_KIND_CLIENT) return null;
  for (const key of PEER_ATTRIBUTES) {
    const value = attributes[key];
    if (value !== undefined && value !== '') {
      return String(value).slice(0, MAX_NAME_LENGTH);
    }
  }
  const url = attributes['url.full'] ?? attributes['http.url'];
  if (typeof url === 'string') {
    try {
      return new URL(url).hostname.slice(0, MAX_NAME_LENGTH) || null;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Parses an OTLP/JSON `ExportTraceServiceRequest` into span records; invalid spans are counted
 * in `rejected`.
 *
 * @throws InputError when the request's structure is wrong
 */
export function readOtlpTraces(
  body: unknown,
  options?: OtlpReadOptions,
): OtlpParseResult<SpanRecord> {
  return runSync(traceSteps(body, options));
}

/** The steps of {@link readOtlpTraces}: one per span, so a caller can yield between them. */
export function* traceSteps(
  body: unknown,
  options?: OtlpReadOptions,
): OtlpSteps<SpanRecord> {
  const request = parse(traceRequestSchema, body, 'ExportTraceServiceRequest');
  const result = new ParseResultBuilder<SpanRecord>(options);
  for (const [r, resourceSpans] of (request.resourceSpans ?? []).entries()) {
    const records = (resourceSpans.scopeSpans ?? []).flatMap((scope, s) =>
      (scope.spans ?? []).map((span, i) => ({
        raw: span,
        path: ['resourceSpans', r, 'scopeSpans', s, 'spans', i],
      })),
    );
    const serviceName = result.serviceNameOf(
      resourceSpans.resource,
      ['resourceSpans', r, 'resource'],
      records.length,
    );
    if (serviceName === undefined) continue;
    const fromResource = recordResourceAttributes(resourceSpans.resource);
    for (const { raw, path } of records) {
      yield;
      const span = result.check(spanSchema, raw, path);
      if (
        !span ||
        !result.inWindow(span.startTimeUnixNano, [...path, 'startTimeUnixNano'])
      ) {
        continue;
      }
      const attributes = {
        ...fromResource,
        ...flattenAttributes(span.attributes),
      };
      result.records.push({
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId,
        serviceName,
        name: span.name,
        kind: span.kind,
        startTimeMs: nanosToMs(span.startTimeUnixNano),
        durationMs: Number(span.endTimeUnixNano - span.startTimeUnixNano) / 1e6,
        statusCode: span.status?.code ?? 0,
        statusMessage: span.status?.message || null,
        peerService: peerServiceOf(span.kind, attributes),
        attributes,
        ...(span.links?.length
          ? {
              links: span.links.map(l => ({
                traceId: l.traceId,
                spanId: l.spanId,
              })),
            }
          : {}),
      });
    }
  }
  return result.build();
}

/**
 * Like {@link readOtlpTraces}, but all or nothing: any invalid record rejects the request.
 *
 * @throws InputError naming the path of the first bad fields
 */
export function parseOtlpTraces(body: unknown): SpanRecord[] {
  return allOrNothing(readOtlpTraces(body), 'ExportTraceServiceRequest');
}
