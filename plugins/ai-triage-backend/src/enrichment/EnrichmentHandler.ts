import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  LogRecord,
  SpanRecord,
  TelemetryProvider,
  TelemetryQuery,
  TelemetryResult,
} from '@ai-triage/plugin-ai-triage-node';
import { IncidentStore } from '../database/IncidentStore';
import { Job } from '../database/JobQueue';
import { TriageStore } from '../database/TriageStore';
import { EntityAnnotations } from '../telemetry/CatalogEntityAnnotations';
import { TelemetryProviderSelector } from '../telemetry/TelemetryProviderSelector';
import { FaultGrouper } from '../grouping/FaultGrouper';
import {
  isLogShapeCountSource,
  isTraceSpanSource,
} from '../telemetry/TelemetryStore';
import { TELEMETRY_PROVIDERS_ANNOTATION } from '../telemetry/annotations';
import { ContextBuilder, ContextBuildInput } from './ContextBuilder';
import { DEFAULT_MAX_DEPTH, localize } from './localize';
import { ServiceTelemetry } from './localizeContext';
import { detectOnset } from './onset';

const MINUTE_MS = 60_000;

/** What the providers gave for one window. */
type Collected = {
  /** Records to summarize; logs of providers that count them are in `sampledLogs` instead. */
  result: Required<TelemetryResult>;
  /**
   * Log records of providers that count logs as they arrive: samples for the counted templates
   * (see countLogs); undefined when no such provider answered.
   */
  sampledLogs?: LogRecord[];
  missing: string[];
  /** Names of the providers that failed or timed out. */
  failed: string[];
};

type Window = { fromMs: number; toMs: number };

/** Traces of the alerted service whose spans of other services are read for the service graph. */
const MAX_TRACES = 400;
/**
 * How long before the onset log records still count to the incident side (besides one bucket,
 * the resolution of the onset): what causes a fault is logged shortly before its effect shows in
 * the RED series (a rollout's events while its new replicas become ready, a config reload, the
 * first pool warnings); a rolling update's last replica takes traffic within about a minute.
 */
const LOG_LEAD_MS = 60_000;

const EMPTY_RESULT: Required<TelemetryResult> = {
  spans: [],
  logs: [],
  metrics: [],
  truncated: [],
  missing: [],
};

/** Services read besides the alerted one during the localization walk. */
const MAX_SERVICES_READ = 8;

/**
 * The `enrich` stage: reads the incident's service telemetry from the providers that serve its
 * entity (chosen by TelemetryProviderSelector from the entity's annotations), in parallel and
 * each bounded by its timeout, for the incident window and an equally long baseline before it,
 * builds the context document and stores it with the `reason` job. A provider that fails or
 * times out is named in the document's `missing` with the signals it would have given; it never
 * fails the incident.
 *
 * Windows are whole minutes (the incident window from the minute of its start to the end of the
 * current minute), so that a provider that counts logs per minute as they arrive (the embedded
 * store, see LogShapeCountSource) counts exactly the window's records; its log records, capped,
 * then give samples and trace ids only.
 */
export class EnrichmentHandler {
  static create(options: {
    incidents: IncidentStore;
    triage: TriageStore;
    providers: TelemetryProvider[];
    /** Where the entity's annotations come from; without it every default provider serves. */
    entityAnnotations?: EntityAnnotations;
    contextBuilder: ContextBuilder;
    lookbackMs: number;
    providerTimeoutMs: number;
    maxRecordsPerSignal: number;
    /** Hops the localization walk may go downstream (default 4). */
    localizationMaxDepth?: number;
    logger: LoggerService;
    /** One triage per fault: members of a fault group are not enriched (see FaultGrouper). */
    grouping?: FaultGrouper;
  }): EnrichmentHandler {
    return new EnrichmentHandler(
      options,
      TelemetryProviderSelector.create(options.providers),
    );
  }

  private constructor(
    private readonly options: Parameters<typeof EnrichmentHandler.create>[0],
    private readonly selector: TelemetryProviderSelector,
  ) {}

  async handle(job: Job): Promise<void> {
    const { incidents, triage, contextBuilder, lookbackMs } = this.options;
    const incident = await incidents.getIncident(job.incidentId);
    if (!incident) {
      throw new NotFoundError(`Incident ${job.incidentId} no longer exists`);
    }
    const { grouping } = this.options;
    if (grouping && !(await grouping.beforeEnrichment(incident.id))) {
      return;
    }
    await incidents.setTriageState(incident.id, 'enriching');
    const alerts = await incidents.listAlerts(incident.id);
    const alertStartsMs = alerts.map(a => Date.parse(a.startsAt));
    const firstAlertMs = Math.min(...alertStartsMs);
    const toMs = ceilToMinute(Math.max(Date.now(), firstAlertMs + 1));
    const fromMs = floorToMinute(Math.min(firstAlertMs, toMs) - lookbackMs);
    const baselineFromMs = fromMs - (toMs - fromMs);

    const { entity, missing: entityMissing } = await this.entityOf(
      incident.entityRef,
    );
    const { providers, unknown } = this.selector.select(
      entity?.annotations ?? {},
    );
    const read = (
      service: string,
      window: Window,
      query?: TelemetryQuery['entity'],
    ) => this.collect(providers, service, query, window.fromMs, window.toMs);
    const [current, fixedBaseline] = await Promise.all([
      read(incident.serviceName, { fromMs, toMs }, entity),
      read(
        incident.serviceName,
        { fromMs: baselineFromMs, toMs: fromMs },
        entity,
      ),
    ]);

    // The onset on the alerted service's own series; the baseline is the healthy time before it.
    const detected = detectOnset({
      spans: [...fixedBaseline.result.spans, ...current.result.spans],
      serviceName: incident.serviceName,
      alertStartsMs,
      window: { fromMs, toMs },
      fixedBaseline: { fromMs: baselineFromMs, toMs: fromMs },
      maxBaselineMs: lookbackMs,
      fixedBaselineHasData:
        fixedBaseline.result.metrics.length +
          fixedBaseline.result.spans.length +
          fixedBaseline.result.logs.length +
          (fixedBaseline.sampledLogs?.length ?? 0) >
        0,
    });
    const incidentWindow = { fromMs: detected.onsetMs, toMs };
    const baselineWindow = detected.baseline;
    const logLeadMs =
      detected.onset.method === 'window-start'
        ? 0
        : detected.bucketMs + LOG_LEAD_MS;
    const split = splitAt(
      current.result,
      fixedBaseline.result,
      incidentWindow,
      baselineWindow,
      logLeadMs,
    );
    const counted = await this.countLogs(
      providers,
      incident.serviceName,
      entity,
      { fromMs: incidentWindow.fromMs - logLeadMs, toMs },
      baselineWindow,
      current.sampledLogs || fixedBaseline.sampledLogs
        ? [...(fixedBaseline.sampledLogs ?? []), ...(current.sampledLogs ?? [])]
        : undefined,
    );
    // A provider that failed for the alerted service is not asked again for each service walked
    // to: each ask could cost its whole timeout, and its absence is already in `missing`.
    const failed = new Set([...current.failed, ...fixedBaseline.failed]);
    const walk = await this.walkDownstream({
      providers: providers.filter(provider => !failed.has(provider.name)),
      alertedService: incident.serviceName,
      alertedSpans: [...fixedBaseline.result.spans, ...current.result.spans],
      incidentWindow,
      baselineWindow,
      bucketMs: detected.bucketMs,
      logLeadMs,
    });

    const document = contextBuilder.build({
      incidentId: incident.id,
      serviceName: incident.serviceName,
      alerts,
      window: incidentWindow,
      baselineWindow: baselineWindow ?? {
        fromMs: baselineFromMs,
        toMs: fromMs,
      },
      current: split.current,
      baseline: split.baseline,
      ...(counted ? { countedLogs: counted } : {}),
      onset: detected.onset,
      localization: {
        graphSpans: walk.spans,
        services: walk.services,
        baselineWindow,
        bucketMs: detected.bucketMs,
        maxDepth: this.options.localizationMaxDepth ?? DEFAULT_MAX_DEPTH,
      },
      missing: [
        ...new Set([
          ...entityMissing,
          ...unknown.map(
            name =>
              `${name}: named by the entity's ${TELEMETRY_PROVIDERS_ANNOTATION} annotation, but no telemetry provider has that name`,
          ),
          ...current.missing,
          ...fixedBaseline.missing.map(text => `${text} (baseline window)`),
          ...walk.missing,
        ]),
      ],
      truncated: [...new Set(current.result.truncated)],
    });
    await triage.saveContext({
      jobId: job.id,
      incidentId: incident.id,
      document,
      reason: (await grouping?.afterEnrichment(incident.id, document)) ?? true,
    });
  }

  /**
   * Log shape counts of the incident window and the baseline, from the providers that keep them,
   * in whole minutes (their counts are per minute): the minute of the onset counts to the
   * incident. Undefined when no provider counts logs.
   */
  private async countLogs(
    providers: TelemetryProvider[],
    serviceName: string,
    entity: TelemetryQuery['entity'],
    incident: Window,
    baseline: Window | null,
    sampled: LogRecord[] | undefined,
  ): Promise<ContextBuildInput['countedLogs']> {
    const counting = providers.filter(isLogShapeCountSource);
    if (!counting.length || !sampled) return undefined;
    const query = (window: Window): TelemetryQuery => ({
      serviceName,
      fromMs: floorToMinute(window.fromMs),
      toMs: window.toMs,
      limit: this.options.maxRecordsPerSignal,
      ...(entity ? { entity } : {}),
    });
    const signal = AbortSignal.timeout(this.options.providerTimeoutMs);
    const settle = (window: Window) =>
      Promise.allSettled(
        counting.map(provider =>
          provider.logShapeCounts(query(window), { signal }),
        ),
      ).then(results =>
        results.flatMap(r => (r.status === 'fulfilled' ? [r.value] : [])),
      );
    const [now, before] = await Promise.all([
      settle(incident),
      baseline
        ? settle({
            fromMs: baseline.fromMs,
            toMs: floorToMinute(incident.fromMs),
          })
        : Promise.resolve(undefined),
    ]);
    return {
      current: now.flatMap(c => c.shapes),
      sampled: sampled.filter(log => inWindow(log.timestampMs, incident)),
      ...(before ? { baseline: before.flatMap(c => c.shapes) } : {}),
      complete: [...now, ...(before ?? [])].every(c => c.complete),
    };
  }

  /**
   * The spans of the traces through the alerted service (from providers that read whole traces)
   * and the telemetry of the services a localization walk reaches from it, read round by round:
   * each round localizes on what was read so far and reads the services newly reached.
   */
  private async walkDownstream(options: {
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
    const maxDepth = this.options.localizationMaxDepth ?? DEFAULT_MAX_DEPTH;
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
            this.collect(
              providers,
              service,
              undefined,
              splitMs,
              incidentWindow.toMs,
            ),
            baselineWindow
              ? this.collect(
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

  /** The incident's entity with its annotations; a catalog failure is named, not thrown. */
  private async entityOf(entityRef: string | null): Promise<{
    entity?: TelemetryQuery['entity'];
    missing: string[];
  }> {
    const { entityAnnotations, logger } = this.options;
    if (!entityRef || !entityAnnotations) {
      return { missing: [] };
    }
    try {
      const annotations = await entityAnnotations.annotationsOf(entityRef);
      return { entity: { ref: entityRef, annotations }, missing: [] };
    } catch (error) {
      logger.warn(`Could not read the annotations of ${entityRef}`, {
        error: String(error),
      });
      return {
        entity: { ref: entityRef, annotations: {} },
        missing: [
          `catalog: the annotations of ${entityRef} could not be read (${errorText(
            error,
          )}); default telemetry providers used`,
        ],
      };
    }
  }

  private async collect(
    providers: TelemetryProvider[],
    serviceName: string,
    entity: TelemetryQuery['entity'],
    fromMs: number,
    toMs: number,
  ): Promise<Collected> {
    const { maxRecordsPerSignal, logger } = this.options;
    const query: TelemetryQuery = {
      serviceName,
      fromMs,
      toMs,
      limit: maxRecordsPerSignal,
      ...(entity ? { entity } : {}),
    };
    const settled = await Promise.allSettled(
      providers.map(provider => this.fetchWithTimeout(provider, query)),
    );
    // Counted logs are read apart, for the windows the onset gives (see countLogs).
    const result: Required<TelemetryResult> = {
      spans: [],
      logs: [],
      metrics: [],
      truncated: [],
      missing: [],
    };
    const missing: string[] = [];
    const failed: string[] = [];
    let sampledLogs: LogRecord[] | undefined;
    settled.forEach((outcome, index) => {
      const provider = providers[index];
      if (outcome.status === 'rejected') {
        logger.warn(`Telemetry provider ${provider.name} failed`, {
          error: String(outcome.reason),
        });
        const signals = (provider.signals ?? ['spans', 'logs', 'metrics']).join(
          ', ',
        );
        missing.push(
          `${provider.name} (${signals}): ${errorText(outcome.reason)}`,
        );
        failed.push(provider.name);
        return;
      }
      const telemetry = outcome.value;
      result.spans.push(...(telemetry.spans ?? []));
      result.metrics.push(...(telemetry.metrics ?? []));
      missing.push(...(telemetry.missing ?? []));
      if (isLogShapeCountSource(provider)) {
        // Counted logs: the records are samples, and being capped costs no count.
        sampledLogs ??= [];
        sampledLogs.push(...(telemetry.logs ?? []));
        result.truncated.push(
          ...(telemetry.truncated ?? []).filter(signal => signal !== 'logs'),
        );
      } else {
        result.logs.push(...(telemetry.logs ?? []));
        result.truncated.push(...(telemetry.truncated ?? []));
      }
    });
    return {
      result,
      ...(sampledLogs ? { sampledLogs } : {}),
      missing,
      failed,
    };
  }

  /**
   * The provider's answer, or a rejection once its timeout (its own, else the configured one)
   * passes: the signal it was given is aborted then, and the answer is not awaited further, so
   * a provider that ignores the signal cannot hold the incident up.
   */
  private async fetchWithTimeout(
    provider: TelemetryProvider,
    query: TelemetryQuery,
  ): Promise<TelemetryResult> {
    const timeoutMs = provider.timeoutMs ?? this.options.providerTimeoutMs;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const error = new Error(
          `timed out after ${Number((timeoutMs / 1000).toFixed(3))} s`,
        );
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      return await Promise.race([
        provider.fetch(query, { signal: controller.signal }),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

function inWindow(ms: number, window: Window | null): boolean {
  return window !== null && ms >= window.fromMs && ms < window.toMs;
}

/**
 * The records of both reads split at the onset: the incident side from the onset on, the
 * baseline side in the baseline window (nothing where there is none, so no comparison is made).
 */
function splitAt(
  current: Required<TelemetryResult>,
  fixed: Required<TelemetryResult>,
  incident: Window,
  baseline: Window | null,
  logLeadMs: number,
): { current: TelemetryResult; baseline: TelemetryResult } {
  // Logs: the incident side starts `logLeadMs` before the onset, the baseline ends there.
  const logWindow = (window: Window | null): Window | null =>
    window === null
      ? null
      : window === incident
      ? { fromMs: window.fromMs - logLeadMs, toMs: window.toMs }
      : {
          fromMs: window.fromMs,
          toMs: Math.min(window.toMs, incident.fromMs - logLeadMs),
        };
  const pick = (window: Window | null): TelemetryResult => ({
    spans: [...fixed.spans, ...current.spans].filter(s =>
      inWindow(s.startTimeMs, window),
    ),
    logs: [...fixed.logs, ...current.logs].filter(l =>
      inWindow(l.timestampMs, logWindow(window)),
    ),
    metrics: [...fixed.metrics, ...current.metrics].filter(m =>
      inWindow(m.timestampMs, window),
    ),
    truncated: window === incident ? current.truncated : fixed.truncated,
  });
  return { current: pick(incident), baseline: baseline ? pick(baseline) : {} };
}

/** Up to `max` trace ids of the spans, spread evenly over time. */
function sampleTraceIds(spans: SpanRecord[], max: number): string[] {
  const ids = [
    ...new Map(
      [...spans]
        .sort((a, b) => a.startTimeMs - b.startTimeMs)
        .map(s => [s.traceId, s.startTimeMs]),
    ).keys(),
  ];
  if (ids.length <= max) return ids;
  const step = ids.length / max;
  return Array.from({ length: max }, (_, i) => ids[Math.floor(i * step)]);
}

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

function floorToMinute(ms: number): number {
  return Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

function ceilToMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}

function errorText(error: unknown): string {
  return String((error as Error)?.message ?? error);
}
