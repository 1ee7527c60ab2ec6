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
import { ContextBuilder } from './ContextBuilder';

/**
 * The `enrich` stage: reads the incident's service telemetry from every provider in parallel
 * (each bounded by a timeout) for the incident window and an equally long baseline before it,
 * builds the context document and stores it with the `reason` job. A provider that fails or
 * times out is named in the document's `missing`; it never fails the incident.
 */
export class EnrichmentHandler {
  static create(options: {
    incidents: IncidentStore;
    triage: TriageStore;
    providers: TelemetryProvider[];
    contextBuilder: ContextBuilder;
    lookbackMs: number;
    providerTimeoutMs: number;
    maxRecordsPerSignal: number;
    logger: LoggerService;
  }): EnrichmentHandler {
    return new EnrichmentHandler(options);
  }

  private constructor(
    private readonly options: Parameters<typeof EnrichmentHandler.create>[0],
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

    const [current, baseline] = await Promise.all([
      this.collect(incident.serviceName, fromMs, toMs),
      this.collect(incident.serviceName, baselineFromMs, fromMs),
    ]);
    const document = contextBuilder.build({
      incidentId: incident.id,
      serviceName: incident.serviceName,
      alerts,
      window: { fromMs, toMs },
      baselineWindow: { fromMs: baselineFromMs, toMs: fromMs },
      current: current.result,
      baseline: baseline.result,
      missing: [...new Set([...current.missing, ...baseline.missing])],
      truncated: [...new Set(current.result.truncated)],
    });
    await triage.saveContext({
      jobId: job.id,
      incidentId: incident.id,
      document,
    });
  }

  private async collect(
    serviceName: string,
    fromMs: number,
    toMs: number,
  ): Promise<{ result: TelemetryResult; missing: string[] }> {
    const { providers, providerTimeoutMs, maxRecordsPerSignal, logger } =
      this.options;
    const query: TelemetryQuery = {
      serviceName,
      fromMs,
      toMs,
      limit: maxRecordsPerSignal,
    };
    const settled = await Promise.allSettled(
      providers.map(provider =>
        provider.fetch(query, {
          signal: AbortSignal.timeout(providerTimeoutMs),
        }),
      ),
    );
    const result: Required<TelemetryResult> = {
      spans: [],
      logs: [],
      metrics: [],
      truncated: [],
    };
    const missing: string[] = [];
    settled.forEach((outcome, index) => {
      const provider = providers[index];
      if (outcome.status === 'rejected') {
        logger.warn(`Telemetry provider ${provider.name} failed`, {
          error: String(outcome.reason),
        });
        missing.push(
          `${provider.name}: ${String(
            outcome.reason?.message ?? outcome.reason,
          )}`,
        );
        return;
      }
      result.spans.push(...(outcome.value.spans ?? []));
      result.logs.push(...(outcome.value.logs ?? []));
      result.metrics.push(...(outcome.value.metrics ?? []));
      result.truncated.push(...(outcome.value.truncated ?? []));
    });
    return { result, missing };
  }
}
