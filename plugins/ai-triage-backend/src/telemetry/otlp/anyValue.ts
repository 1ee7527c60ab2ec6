import { TelemetryAttributes } from '@ai-triage/plugin-ai-triage-node';
import { z } from 'zod';
import { double, int64 } from './scalars';

/* OTLP AnyValue and KeyValue lists, and how they become the store's flat attributes. */

export type OtlpAnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: bigint;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
};

export type OtlpKeyValue = { key: string; value?: OtlpAnyValue };

// Built once: z.lazy calls its getter on every parse, so it only returns the finished schema.
export const anyValueSchema: z.ZodType<OtlpAnyValue, unknown> = z.lazy(
  // eslint-disable-next-line @typescript-eslint/no-use-before-define
  () => anyValueObject,
);
const anyValueObject: z.ZodType<OtlpAnyValue, unknown> = z.object({
  stringValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  intValue: int64.optional(),
  doubleValue: double.optional(),
  bytesValue: z.string().optional(),
  arrayValue: z
    .object({ values: z.array(anyValueSchema).optional() })
    .optional(),
  kvlistValue: z
    .object({
      values: z
        .array(z.object({ key: z.string(), value: anyValueSchema.optional() }))
        .optional(),
    })
    .optional(),
});

const keyValueSchema: z.ZodType<OtlpKeyValue, unknown> = z.object({
  key: z.string(),
  value: anyValueSchema.optional(),
});

export const attributesSchema = z.array(keyValueSchema).optional();

/** A JSON-able value of any depth, for arrays and key-value lists. */
function plainValue(value: OtlpAnyValue | undefined): unknown {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return intToScalar(value.intValue);
  if (value.doubleValue !== undefined) {
    return Number.isFinite(value.doubleValue)
      ? value.doubleValue
      : String(value.doubleValue);
  }
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(plainValue);
  if (value.kvlistValue) {
    const object: Record<string, unknown> = {};
    for (const kv of value.kvlistValue.values ?? []) {
      object[kv.key] = plainValue(kv.value);
    }
    return object;
  }
  return null;
}

/** A scalar attribute value: arrays and key-value lists become their JSON text. */
function scalarValue(
  value: OtlpAnyValue | undefined,
): string | number | boolean | undefined {
  const plain = plainValue(value);
  if (plain === null) return undefined;
  if (typeof plain === 'object') return JSON.stringify(plain);
  return plain as string | number | boolean;
}

function intToScalar(value: bigint): number | string {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
}

export function flattenAttributes(
  attributes: OtlpKeyValue[] | undefined,
): TelemetryAttributes {
  const flat: TelemetryAttributes = {};
  for (const { key, value } of attributes ?? []) {
    const scalar = scalarValue(value);
    if (scalar !== undefined) {
      flat[key] = scalar;
    }
  }
  return flat;
}

export function bodyText(body: OtlpAnyValue | undefined): string {
  if (body?.stringValue !== undefined) return body.stringValue;
  const scalar = scalarValue(body);
  return scalar === undefined ? '' : String(scalar);
}
