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
import { TELEMETRY_PROVIDERS_ANNOTATION } from '../telemetry/annotations';
import { ContextBuilder } from './ContextBuilder';

/**
 * The `enrich` stage: reads the incident's service telemetry from the providers that serve its
 * entity (chosen by TelemetryProviderSelector from the entity's annotations), in parallel and
 * each bounded by its timeout, for the incident window and an equally long baseline before it,
 * builds the context document and stores it with the `reason` job. A provider that fails or
 * times out is named in the document's `missing` with the signals it would have given; it never
 * fails the incident.
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
    await incidents.setTriageState(incident.id, 'enriching');
    const alerts = await incidents.listAlerts(incident.id);
    const firstAlertMs = Math.min(...alerts.map(a => Date.parse(a.startsAt)));
    const toMs = Math.max(Date.now(), firstAlertMs + 1);
    const fromMs = Math.min(firstAlertMs, toMs) - lookbackMs;
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
  ): Promise<{ result: Required<TelemetryResult>; missing: string[] }> {
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
      result.spans.push(...(outcome.value.spans ?? []));
      result.logs.push(...(outcome.value.logs ?? []));
      result.metrics.push(...(outcome.value.metrics ?? []));
      result.truncated.push(...(outcome.value.truncated ?? []));
      missing.push(...(outcome.value.missing ?? []));
    });
    return { result, missing };
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

function errorText(error: unknown): string {
  return String((error as Error)?.message ?? error);
}
