import { Config } from '@backstage/config';
import { z } from 'zod';
import { TelemetryProvider } from '@ai-triage/plugin-ai-triage-node';
import {
  configBoolean,
  configString,
  httpUrl,
  positiveNumber,
  readConfigSection,
  wholeNumber,
} from '../../configSection';
import { HttpEndpoint } from './getJson';
import { JaegerTelemetryProvider } from './JaegerTelemetryProvider';
import { LokiTelemetryProvider } from './LokiTelemetryProvider';
import { PrometheusTelemetryProvider } from './PrometheusTelemetryProvider';
import { TempoTelemetryProvider } from './TempoTelemetryProvider';

/** One entry of `aiTriage.telemetry.providers`, as config.d.ts documents it. */
const providerSchema = z.object({
  type: z.enum(['prometheus', 'loki', 'tempo', 'jaeger']),
  name: configString.optional(),
  baseUrl: httpUrl,
  // Read whole, not key by key: header and metric names may hold dots.
  headers: z.record(z.string(), configString).default({}),
  timeoutSeconds: positiveNumber.optional(),
  default: configBoolean.default(true),
  serviceLabel: configString.optional(),
  rateWindowSeconds: positiveNumber.optional(),
  // An empty string drops a default query.
  queries: z.record(z.string(), z.string()).default({}),
  maxTraces: wholeNumber(1).optional(),
});

const providersSchema = z.object({
  providers: z.array(providerSchema).default([]),
});

/**
 * The telemetry back-ends listed under `aiTriage.telemetry.providers` (see config.d.ts), each
 * built with its own endpoint, headers, timeout and options.
 *
 * @throws Error naming the entry when one is invalid
 */
export function createTelemetryProviders(
  rootConfig: Config,
): TelemetryProvider[] {
  const { providers } = readConfigSection(
    rootConfig,
    'aiTriage.telemetry',
    providersSchema,
  );
  return providers.map(entry => {
    const common = {
      name: entry.name ?? entry.type,
      endpoint: {
        baseUrl: entry.baseUrl,
        headers: entry.headers,
      } as HttpEndpoint,
      timeoutMs:
        entry.timeoutSeconds === undefined
          ? undefined
          : entry.timeoutSeconds * 1000,
      servesAllEntities: entry.default,
    };
    switch (entry.type) {
      case 'prometheus':
        return PrometheusTelemetryProvider.create({
          ...common,
          queries: entry.queries,
          serviceLabel: entry.serviceLabel,
          rateWindowSeconds: entry.rateWindowSeconds,
        });
      case 'loki':
        return LokiTelemetryProvider.create({
          ...common,
          serviceLabel: entry.serviceLabel,
        });
      case 'tempo':
        return TempoTelemetryProvider.create({
          ...common,
          maxTraces: entry.maxTraces,
        });
      default:
        return JaegerTelemetryProvider.create({
          ...common,
          maxTraces: entry.maxTraces,
        });
    }
  });
}
