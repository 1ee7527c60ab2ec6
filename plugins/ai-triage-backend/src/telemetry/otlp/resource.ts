import { TelemetryAttributes } from '@ai-triage/plugin-ai-triage-node';
import { z } from 'zod';
import { OtlpKeyValue, attributesSchema, flattenAttributes } from './anyValue';
import { MAX_NAME_LENGTH } from './scalars';

/** service.name when a resource names none, as the OpenTelemetry SDKs do. */
export const UNKNOWN_SERVICE = 'unknown_service';

export const resourceSchema = z
  .object({ attributes: attributesSchema })
  .optional()
  .superRefine((resource, ctx) => {
    const serviceName = serviceNameOf(resource);
    if (serviceName.length > MAX_NAME_LENGTH) {
      ctx.addIssue({
        code: 'custom',
        path: ['attributes'],
        message: `service.name is longer than ${MAX_NAME_LENGTH} characters`,
      });
    }
  });

/**
 * Resource attributes copied onto every span and log record of the resource, so enrichment can
 * tell versions and process instances apart (a deploy is a new `service.version`, a restart a
 * new `service.instance.id`). Metric points do not get them: they would split every series.
 */
export const RECORD_RESOURCE_ATTRIBUTES = [
  'service.version',
  'service.instance.id',
] as const;

export function recordResourceAttributes(
  resource: unknown,
): TelemetryAttributes {
  const flat = flattenAttributes(
    (resource as { attributes?: OtlpKeyValue[] } | undefined)?.attributes,
  );
  const picked: TelemetryAttributes = {};
  for (const key of RECORD_RESOURCE_ATTRIBUTES) {
    if (flat[key] !== undefined && flat[key] !== '') picked[key] = flat[key];
  }
  return picked;
}

export function serviceNameOf(
  resource: { attributes?: OtlpKeyValue[] } | undefined,
): string {
  const name = flattenAttributes(resource?.attributes)['service.name'];
  return name === undefined || name === '' ? UNKNOWN_SERVICE : String(name);
}
