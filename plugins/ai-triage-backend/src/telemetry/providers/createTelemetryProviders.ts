import { Config } from '@backstage/config';
import { TelemetryProvider } from '@ai-triage/plugin-ai-triage-node';
import { HttpEndpoint } from './getJson';
import { JaegerTelemetryProvider } from './JaegerTelemetryProvider';
import { LokiTelemetryProvider } from './LokiTelemetryProvider';
import { PrometheusTelemetryProvider } from './PrometheusTelemetryProvider';
import { TempoTelemetryProvider } from './TempoTelemetryProvider';

const TYPES = ['prometheus', 'loki', 'tempo', 'jaeger'] as const;

/**
 * The telemetry back-ends listed under `aiTriage.telemetry.providers` (see config.d.ts), each
 * built with its own endpoint, headers, timeout and options.
 *
 * @throws Error naming the entry when one is invalid
 */
export function createTelemetryProviders(
  rootConfig: Config,
): TelemetryProvider[] {
  const entries =
    rootConfig.getOptionalConfigArray('aiTriage.telemetry.providers') ?? [];
  return entries.map((entry, index) => {
    const where = `aiTriage.telemetry.providers[${index}]`;
    const type = entry.getString('type');
    if (!(TYPES as readonly string[]).includes(type)) {
      throw new Error(
        `${where}.type must be one of ${TYPES.join(', ')}, got ${type}`,
      );
    }
    const baseUrl = entry.getString('baseUrl');
    if (!/^https?:$/.test(URL.parse(baseUrl)?.protocol ?? '')) {
      throw new Error(`${where}.baseUrl is not an http(s) URL: ${baseUrl}`);
    }
    const headers: Record<string, string> = {};
    const headersConfig = entry.getOptionalConfig('headers');
    for (const key of headersConfig?.keys() ?? []) {
      headers[key] = headersConfig!.getString(key);
    }
    const timeoutSeconds = entry.getOptionalNumber('timeoutSeconds');
    if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) {
      throw new Error(`${where}.timeoutSeconds must be a positive number`);
    }
    const common = {
      name: entry.getOptionalString('name') ?? type,
      endpoint: { baseUrl, headers } as HttpEndpoint,
      timeoutMs:
        timeoutSeconds === undefined ? undefined : timeoutSeconds * 1000,
      servesAllEntities: entry.getOptionalBoolean('default') ?? true,
    };
    switch (type) {
      case 'prometheus': {
        const queriesConfig = entry.getOptionalConfig('queries');
        const queries: Record<string, string> = {};
        for (const key of queriesConfig?.keys() ?? []) {
          queries[key] = queriesConfig!.getString(key);
        }
        return PrometheusTelemetryProvider.create({
          ...common,
          queries,
          serviceLabel: entry.getOptionalString('serviceLabel'),
          rateWindowSeconds: entry.getOptionalNumber('rateWindowSeconds'),
        });
      }
      case 'loki':
        return LokiTelemetryProvider.create({
          ...common,
          serviceLabel: entry.getOptionalString('serviceLabel'),
        });
      case 'tempo':
        return TempoTelemetryProvider.create({
          ...common,
          maxTraces: entry.getOptionalNumber('maxTraces'),
        });
      default:
        return JaegerTelemetryProvider.create({
          ...common,
          maxTraces: entry.getOptionalNumber('maxTraces'),
        });
    }
  });
}
