import {
  LogRecord,
  TelemetryAttributes,
} from '@ai-triage/plugin-ai-triage-node';
import { z } from 'zod';
import {
  anyValueSchema,
  attributesSchema,
  bodyText,
  flattenAttributes,
} from './anyValue';
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
  enumInt,
  nameString,
  nanosToMs,
  optionalHexId,
  uint64,
} from './scalars';

/** SeverityNumber ranges of the OpenTelemetry log data model, for records without a text. */
const SEVERITY_NAMES: Array<[number, string]> = [
  [21, 'FATAL'],
  [17, 'ERROR'],
  [13, 'WARN'],
  [9, 'INFO'],
  [5, 'DEBUG'],
  [1, 'TRACE'],
];

const logRecordSchema = z
  .object({
    timeUnixNano: uint64.optional(),
    observedTimeUnixNano: uint64.optional(),
    severityNumber: enumInt(24),
    severityText: nameString.optional(),
    body: anyValueSchema.optional(),
    attributes: attributesSchema,
    traceId: optionalHexId(16, 'trace id'),
    spanId: optionalHexId(8, 'span id'),
    eventName: z.string().optional(),
  })
  .superRefine((record, ctx) => {
    if (!record.timeUnixNano && !record.observedTimeUnixNano) {
      ctx.addIssue({
        code: 'custom',
        path: ['timeUnixNano'],
        message: 'neither timeUnixNano nor observedTimeUnixNano is set',
      });
    }
  });

const logsRequestSchema = z.object({
  resourceLogs: z
    .array(
      z.object({
        resource: z.unknown().optional(),
        scopeLogs: z
          .array(z.object({ logRecords: z.array(z.unknown()).optional() }))
          .optional(),
      }),
    )
    .optional(),
});

function severityName(severityNumber: number): string {
  return SEVERITY_NAMES.find(([lowest]) => severityNumber >= lowest)?.[1] ?? '';
}

/**
 * Parses an OTLP/JSON `ExportLogsServiceRequest` into log records; invalid records are counted
 * in `rejected`. Records without a time take their observed time; a structured body becomes
 * its JSON text; an event's name is kept as the `event.name` attribute.
 *
 * @throws InputError when the request's structure is wrong
 */
export function readOtlpLogs(
  body: unknown,
  options?: OtlpReadOptions,
): OtlpParseResult<LogRecord> {
  return runSync(logSteps(body, options));
}

/** The steps of {@link readOtlpLogs}: one per log record. */
export function* logSteps(
  body: unknown,
  options?: OtlpReadOptions,
): OtlpSteps<LogRecord> {
  const request = parse(logsRequestSchema, body, 'ExportLogsServiceRequest');
  const result = new ParseResultBuilder<LogRecord>(options);
  for (const [r, resourceLogs] of (request.resourceLogs ?? []).entries()) {
    const records = (resourceLogs.scopeLogs ?? []).flatMap((scope, s) =>
      (scope.logRecords ?? []).map((record, i) => ({
        raw: record,
        path: ['resourceLogs', r, 'scopeLogs', s, 'logRecords', i],
      })),
    );
    const serviceName = result.serviceNameOf(
      resourceLogs.resource,
      ['resourceLogs', r, 'resource'],
      records.length,
    );
    if (serviceName === undefined) continue;
    const fromResource = recordResourceAttributes(resourceLogs.resource);
    for (const { raw, path } of records) {
      yield;
      const record = result.check(logRecordSchema, raw, path);
      if (!record) continue;
      const time = record.timeUnixNano || record.observedTimeUnixNano || 0n;
      if (!result.inWindow(time, [...path, 'timeUnixNano'])) continue;
      const attributes: TelemetryAttributes = {
        ...fromResource,
        ...flattenAttributes(record.attributes),
      };
      if (record.eventName) {
        attributes['event.name'] = record.eventName;
      }
      result.records.push({
        serviceName,
        timestampMs: nanosToMs(time),
        severityText:
          record.severityText || severityName(record.severityNumber),
        severityNumber: record.severityNumber,
        body: bodyText(record.body),
        traceId: record.traceId,
        spanId: record.spanId,
        attributes,
      });
    }
  }
  return result.build();
}

/**
 * Like {@link readOtlpLogs}, but all or nothing: any invalid record rejects the request.
 *
 * @throws InputError naming the path of the first bad fields
 */
export function parseOtlpLogs(body: unknown): LogRecord[] {
  return allOrNothing(readOtlpLogs(body), 'ExportLogsServiceRequest');
}
