import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  TelemetryProvider,
  TelemetryQuery,
} from '@ai-triage/plugin-ai-triage-node';
import { IncidentStore } from '../database/IncidentStore';
import { Job } from '../queue/JobQueue';
import { TriageStore } from '../database/TriageStore';
import { EntityResolver } from '../catalog/EntityResolver';
import { EntityAnnotations } from '../catalog/CatalogEntityAnnotations';
import { TelemetryProviderSelector } from '../telemetry/TelemetryProviderSelector';
import { FaultGrouper } from '../grouping/FaultGrouper';
import { autoRetriageTriggerOf } from '../database/DatabaseRetriageStore';
import { RetriageStore } from '../database/RetriageStore';
import { evidenceGaps } from '../retriage/evidenceGaps';
import { TELEMETRY_PROVIDERS_ANNOTATION } from '../telemetry/annotations';
import { ContextBuilder } from './ContextBuilder';
import { annotateIncident } from '../observability/instrumentStages';
import { DEFAULT_MAX_DEPTH } from './localize';
import { DownstreamReader } from './DownstreamReader';
import { detectOnset } from './onset';
import {
  TelemetryReader,
  Window,
  errorText,
  floorToMinute,
  logLeadFor,
  splitAt,
} from './TelemetryReader';

const MINUTE_MS = 60_000;

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
    /** Maps services to catalog entities and back, for the localization's refs and catalog edges. */
    entities?: EntityResolver;
    logger: LoggerService;
    /** One triage per fault: members of a fault group are not enriched (see FaultGrouper). */
    grouping?: FaultGrouper;
    /**
     * Re-triage when the evidence arrives: what the context lacked is watched for (see
     * evidenceGaps); an automatic re-triage of a reviewed incident is skipped.
     */
    retriage?: RetriageStore;
    /**
     * How long after the onset an incident window counts as settled: a triage of a shorter one
     * waits for the telemetry from then on (see evidenceGaps), and a resolved incident is read
     * at least this far past its first alert.
     */
    settleMs?: number;
  }): EnrichmentHandler {
    return new EnrichmentHandler(
      options,
      TelemetryProviderSelector.create(options.providers),
    );
  }

  private readonly reader: TelemetryReader;
  private readonly downstream: DownstreamReader;

  private constructor(
    private readonly options: Parameters<typeof EnrichmentHandler.create>[0],
    private readonly selector: TelemetryProviderSelector,
  ) {
    this.reader = new TelemetryReader(options);
    this.downstream = new DownstreamReader(this.reader, {
      ...options,
      maxDepth: options.localizationMaxDepth ?? DEFAULT_MAX_DEPTH,
    });
  }

  async handle(job: Job): Promise<void> {
    const { incidents, triage, contextBuilder, lookbackMs } = this.options;
    const incident = await incidents.getIncident(job.incidentId);
    if (!incident) {
      throw new NotFoundError(`Incident ${job.incidentId} no longer exists`);
    }
    annotateIncident(incident.id, incident.serviceName);
    const { grouping, retriage, logger } = this.options;
    const trigger = autoRetriageTriggerOf(job.payload);
    if (trigger && retriage && (await retriage.isReviewed(incident.id))) {
      // Reviewed since the re-triage was queued: a person's judgement is not replaced silently.
      logger.info(
        `Automatic re-triage (${trigger}) of incident ${incident.id} skipped: it has been reviewed`,
      );
      return;
    }
    if (grouping && !(await grouping.beforeEnrichment(incident.id))) {
      return;
    }
    await incidents.setTriageState(incident.id, 'enriching');
    const alerts = await incidents.listAlerts(incident.id);
    const alertStartsMs = alerts.map(a => Date.parse(a.startsAt));
    const firstAlertMs = Math.min(...alertStartsMs);
    // An incident whose alerts all ended is read up to their end, or the settled window past
    // its first alert if that is later (an alert may resolve while its fault goes on): what came
    // after (another fault's minutes, perhaps) did not raise it.
    const endedMs = alerts.every(a => a.endsAt)
      ? Math.max(
          ...alerts.map(a => Date.parse(a.endsAt!)),
          firstAlertMs + (this.options.settleMs ?? 0),
        )
      : Infinity;
    const toMs = Math.max(
      Math.min(ceilToMinute(Date.now()), endedMs),
      firstAlertMs + 1,
    );
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
    ) =>
      this.reader.collect(
        providers,
        service,
        query,
        window.fromMs,
        window.toMs,
      );
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
    const logLeadMs = logLeadFor(
      detected.onset.method,
      detected.bucketMs,
      baselineWindow,
    );
    const split = splitAt(
      current.result,
      fixedBaseline.result,
      incidentWindow,
      baselineWindow,
      logLeadMs,
    );
    const counted = await this.reader.countLogs(
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
    const walk = await this.downstream.walk({
      providers: providers.filter(provider => !failed.has(provider.name)),
      alertedService: incident.serviceName,
      alertedSpans: [...fixedBaseline.result.spans, ...current.result.spans],
      incidentWindow,
      baselineWindow,
      bucketMs: detected.bucketMs,
      logLeadMs,
    });

    const catalog = await this.downstream.catalogView(walk.spans, [
      incident.serviceName,
      ...walk.services.map(s => s.serviceName),
    ]);

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
        entityRefs: catalog.entityRefs,
        catalogEdges: catalog.edges,
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
          ...catalog.missing,
        ]),
      ],
      truncated: [...new Set(current.result.truncated)],
    });
    const reason =
      (await grouping?.afterEnrichment(incident.id, document)) ?? true;
    await triage.saveContext({
      jobId: job.id,
      incidentId: incident.id,
      document,
      reason,
    });
    if (retriage) {
      // A member shows its lead's triage: only a triage that is shown waits for evidence.
      const group = reason ? await grouping?.groupOf(incident.id) : undefined;
      await retriage.watchEvidence(
        incident.id,
        incidentWindow.fromMs,
        reason
          ? evidenceGaps({
              alertedService: incident.serviceName,
              incidentFromMs: incidentWindow.fromMs,
              settleMs: this.options.settleMs ?? 0,
              spans: walk.spans,
              alerted: {
                metrics: split.current.metrics ?? [],
                logs: split.current.logs ?? [],
                countedLogs: counted?.current.length ?? 0,
              },
              relatedServices: [
                ...catalog.edges
                  .filter(e => e.from === incident.serviceName)
                  .map(e => e.to),
                ...(group?.services ?? []),
              ],
            })
          : [],
      );
    }
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
}

function ceilToMinute(ms: number): number {
  return Math.ceil(ms / MINUTE_MS) * MINUTE_MS;
}
