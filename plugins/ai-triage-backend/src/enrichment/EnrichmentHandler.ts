import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
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
  LogShapeCounts,
  isLogShapeCountSource,
} from '../telemetry/TelemetryStore';
import { TELEMETRY_PROVIDERS_ANNOTATION } from '../telemetry/annotations';
import { ContextBuilder, ContextBuildInput } from './ContextBuilder';

const MINUTE_MS = 60_000;

/** What the providers gave for one window. */
type Collected = {
  /** Records to summarize; logs of providers that count them are in `countedLogs` instead. */
  result: Required<TelemetryResult>;
  countedLogs?: NonNullable<ContextBuildInput['countedLogs']>;
  missing: string[];
};

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
    const firstAlertMs = Math.min(...alerts.map(a => Date.parse(a.startsAt)));
    const toMs = ceilToMinute(Math.max(Date.now(), firstAlertMs + 1));
    const fromMs = floorToMinute(Math.min(firstAlertMs, toMs) - lookbackMs);
    const baselineFromMs = fromMs - (toMs - fromMs);

    const { entity, missing: entityMissing } = await this.entityOf(
      incident.entityRef,
    );
    const { providers, unknown } = this.selector.select(
      entity?.annotations ?? {},
    );
    const [current, baseline] = await Promise.all([
      this.collect(providers, incident.serviceName, entity, fromMs, toMs),
      this.collect(
        providers,
        incident.serviceName,
        entity,
        baselineFromMs,
        fromMs,
      ),
    ]);
    const document = contextBuilder.build({
      incidentId: incident.id,
      serviceName: incident.serviceName,
      alerts,
      window: { fromMs, toMs },
      baselineWindow: { fromMs: baselineFromMs, toMs: fromMs },
      current: current.result,
      baseline: baseline.result,
      ...(current.countedLogs || baseline.countedLogs
        ? {
            countedLogs: {
              current: current.countedLogs?.current ?? [],
              sampled: current.countedLogs?.sampled ?? [],
              baseline: baseline.countedLogs?.current,
              complete:
                (current.countedLogs?.complete ?? true) &&
                (baseline.countedLogs?.complete ?? true),
            },
          }
        : {}),
      missing: [
        ...new Set([
          ...entityMissing,
          ...unknown.map(
            name =>
              `${name}: named by the entity's ${TELEMETRY_PROVIDERS_ANNOTATION} annotation, but no telemetry provider has that name`,
          ),
          ...current.missing,
          ...baseline.missing.map(text => `${text} (baseline window)`),
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
    const result: Required<TelemetryResult> = {
      spans: [],
      logs: [],
      metrics: [],
      truncated: [],
      missing: [],
    };
    const missing: string[] = [];
    let countedLogs: Collected['countedLogs'];
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
        return;
      }
      const { telemetry, logShapeCounts } = outcome.value;
      result.spans.push(...(telemetry.spans ?? []));
      result.metrics.push(...(telemetry.metrics ?? []));
      missing.push(...(telemetry.missing ?? []));
      if (logShapeCounts) {
        // Counted logs: the records are samples, and being capped costs no count.
        countedLogs ??= { current: [], sampled: [], complete: true };
        countedLogs.current.push(...logShapeCounts.shapes);
        countedLogs.sampled.push(...(telemetry.logs ?? []));
        countedLogs.complete &&= logShapeCounts.complete;
        result.truncated.push(
          ...(telemetry.truncated ?? []).filter(signal => signal !== 'logs'),
        );
      } else {
        result.logs.push(...(telemetry.logs ?? []));
        result.truncated.push(...(telemetry.truncated ?? []));
      }
    });
    return { result, ...(countedLogs ? { countedLogs } : {}), missing };
  }

  /** The provider's telemetry, and its log shape counts if it keeps them, as one answer. */
  private async read(
    provider: TelemetryProvider,
    query: TelemetryQuery,
    signal: AbortSignal,
  ): Promise<{ telemetry: TelemetryResult; logShapeCounts?: LogShapeCounts }> {
    if (!isLogShapeCountSource(provider)) {
      return { telemetry: await provider.fetch(query, { signal }) };
    }
    const [telemetry, logShapeCounts] = await Promise.all([
      provider.fetch(query, { signal }),
      provider.logShapeCounts(query, { signal }),
    ]);
    return { telemetry, logShapeCounts };
  }

  /**
   * The provider's answer, or a rejection once its timeout (its own, else the configured one)
   * passes: the signal it was given is aborted then, and the answer is not awaited further, so
   * a provider that ignores the signal cannot hold the incident up.
   */
  private async fetchWithTimeout(
    provider: TelemetryProvider,
    query: TelemetryQuery,
  ): Promise<{ telemetry: TelemetryResult; logShapeCounts?: LogShapeCounts }> {
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
        this.read(provider, query, controller.signal),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
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
