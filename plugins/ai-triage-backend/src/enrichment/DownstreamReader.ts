import { LoggerService } from '@backstage/backend-plugin-api';
import {
  SpanRecord,
  TelemetryProvider,
} from '@ai-triage/plugin-ai-triage-node';
import { EntityResolver } from '../catalog/EntityResolver';
import { EntityAnnotations } from '../catalog/CatalogEntityAnnotations';
import { isTraceSpanSource } from '../telemetry/TelemetryStore';
import { localize } from './localize';
import { ServiceTelemetry } from './localizeContext';
import {
  EMPTY_RESULT,
  TelemetryReader,
  Window,
  errorText,
  splitAt,
} from './TelemetryReader';

/** Traces of the alerted service whose spans of other services are read for the service graph. */
const MAX_TRACES = 400;
/** Service and peer names looked up in the catalog for one incident's graph. */
const MAX_CATALOG_NAMES = 50;

/** Services read besides the alerted one during the localization walk. */
const MAX_SERVICES_READ = 8;

/** Spans without duplicates (the same span read from two windows or two sources). */
class SpanSet {
  private readonly spans = new Map<string, SpanRecord>();

  constructor(initial: SpanRecord[]) {
    this.add(initial);
  }

  add(spans: SpanRecord[]): void {
    for (const span of spans) {
      this.spans.set(`${span.traceId}/${span.spanId}`, span);
    }
  }

  all(): SpanRecord[] {
    return [...this.spans.values()];
  }
}

/**
 * Reads what cross-service localization needs beyond the alerted service: the spans of the
 * traces through it, the telemetry of the services a walk along changed edges reaches, and the
 * catalog's entities and relations of the services in the graph.
 */
export class DownstreamReader {
  constructor(
    private readonly reader: TelemetryReader,
    private readonly options: {
      maxDepth: number;
      providerTimeoutMs: number;
      maxRecordsPerSignal: number;
      entities?: EntityResolver;
      entityAnnotations?: EntityAnnotations;
      logger: LoggerService;
    },
  ) {}

  /**
   * The spans of the traces through the alerted service (from providers that read whole traces)
   * and the telemetry of the services a localization walk reaches from it, read round by round:
   * each round localizes on what was read so far and reads the services newly reached.
   */
  async walk(options: {
    providers: TelemetryProvider[];
    alertedService: string;
    alertedSpans: SpanRecord[];
    incidentWindow: Window;
    baselineWindow: Window | null;
    bucketMs: number;
    logLeadMs: number;
  }): Promise<{
    spans: SpanRecord[];
    services: ServiceTelemetry[];
    missing: string[];
  }> {
    const { providers, alertedService, incidentWindow, baselineWindow } =
      options;
    const maxDepth = this.options.maxDepth;
    const fromMs = baselineWindow?.fromMs ?? incidentWindow.fromMs;
    const window = { fromMs, toMs: incidentWindow.toMs };
    const spans = new SpanSet(options.alertedSpans);
    const missing: string[] = [];
    const tracing = providers.filter(isTraceSpanSource);
    if (tracing.length && maxDepth > 0) {
      const traceIds = sampleTraceIds(
        options.alertedSpans.filter(
          s => s.serviceName === alertedService && s.startTimeMs >= fromMs,
        ),
        MAX_TRACES,
      );
      const signal = AbortSignal.timeout(this.options.providerTimeoutMs);
      const results = await Promise.allSettled(
        tracing.map(provider =>
          provider.spansOfTraces(
            {
              traceIds,
              ...window,
              limit: this.options.maxRecordsPerSignal * 4,
            },
            { signal },
          ),
        ),
      );
      results.forEach((result, index) => {
        if (result.status === 'fulfilled') spans.add(result.value.spans);
        else
          missing.push(
            `${tracing[index].name} (traces of other services): ${errorText(
              result.reason,
            )}`,
          );
      });
    }
    const services: ServiceTelemetry[] = [];
    const read = new Set([alertedService]);
    for (let round = 0; round < maxDepth; round++) {
      const { visited } = localize({
        spans: spans.all(),
        alertedService,
        baseline: baselineWindow,
        incident: incidentWindow,
        bucketMs: options.bucketMs,
        maxDepth,
      });
      const known = new Set(spans.all().map(s => s.serviceName));
      const next = visited
        .filter(service => !read.has(service) && known.has(service))
        .slice(0, MAX_SERVICES_READ - services.length);
      if (!next.length) break;
      const telemetry = await Promise.all(
        next.map(async (service): Promise<ServiceTelemetry> => {
          read.add(service);
          // Read like the alerted service: the incident side from the onset (logs from the
          // lead before it), the baseline before that.
          const splitMs = incidentWindow.fromMs - options.logLeadMs;
          const [now, before] = await Promise.all([
            this.reader.collect(
              providers,
              service,
              undefined,
              splitMs,
              incidentWindow.toMs,
            ),
            baselineWindow
              ? this.reader.collect(
                  providers,
                  service,
                  undefined,
                  baselineWindow.fromMs,
                  splitMs,
                )
              : Promise.resolve(undefined),
          ]);
          missing.push(...now.missing.map(text => `${service}: ${text}`));
          spans.add(now.result.spans);
          if (before) spans.add(before.result.spans);
          const split = splitAt(
            {
              ...now.result,
              logs: [...now.result.logs, ...(now.sampledLogs ?? [])],
            },
            before
              ? {
                  ...before.result,
                  logs: [...before.result.logs, ...(before.sampledLogs ?? [])],
                }
              : EMPTY_RESULT,
            incidentWindow,
            baselineWindow,
            options.logLeadMs,
          );
          return { serviceName: service, ...split };
        }),
      );
      services.push(...telemetry);
    }
    return { spans: spans.all(), services, missing };
  }

  /**
   * The catalog's view of the services in the graph: the entity of every service and peer the
   * spans name, and the `dependsOn`/`consumesApi` edges of the services read. A catalog failure
   * is named in `missing`, never thrown.
   */
  async catalogView(
    spans: SpanRecord[],
    services: string[],
  ): Promise<{
    entityRefs: Record<string, string>;
    edges: Array<{ from: string; to: string }>;
    missing: string[];
  }> {
    const { entities, entityAnnotations } = this.options;
    const entityRefs: Record<string, string> = {};
    const edges: Array<{ from: string; to: string }> = [];
    if (!entities) return { entityRefs, edges, missing: [] };
    const names = [
      ...new Set([
        ...spans.map(s => s.serviceName),
        ...spans.flatMap(s => (s.peerService ? [s.peerService] : [])),
      ]),
    ].slice(0, MAX_CATALOG_NAMES);
    try {
      const refs = await Promise.all(names.map(name => entities.resolve(name)));
      names.forEach((name, i) => {
        if (refs[i]) entityRefs[name] = refs[i]!;
      });
      if (entityAnnotations?.dependenciesOf) {
        for (const service of services) {
          const ref = entityRefs[service];
          if (!ref) continue;
          for (const target of await entityAnnotations.dependenciesOf(ref)) {
            for (const to of await entities.serviceNamesOf(target)) {
              if (to !== service) edges.push({ from: service, to });
            }
          }
        }
      }
      return { entityRefs, edges, missing: [] };
    } catch (error) {
      this.options.logger.warn('Could not read the catalog for localization', {
        error: String(error),
      });
      return {
        entityRefs,
        edges,
        missing: [
          `catalog: entities and relations for localization could not be read (${errorText(
            error,
          )})`,
        ],
      };
    }
  }
}

/** Up to `max` trace ids of the spans, spread evenly over time. */
/**
 * Up to `max` trace ids of the spans, spread evenly over time: their own traces, and the traces
 * their links point to (a consumer's messages come from producers' traces it does not continue).
 */
function sampleTraceIds(spans: SpanRecord[], max: number): string[] {
  const ids = [
    ...new Map(
      [...spans]
        .sort((a, b) => a.startTimeMs - b.startTimeMs)
        .flatMap(s => [
          [s.traceId, s.startTimeMs] as const,
          ...(s.links ?? []).map(l => [l.traceId, s.startTimeMs] as const),
        ]),
    ).keys(),
  ];
  if (ids.length <= max) return ids;
  const step = ids.length / max;
  return Array.from({ length: max }, (_, i) => ids[Math.floor(i * step)]);
}
