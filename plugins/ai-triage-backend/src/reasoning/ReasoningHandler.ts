import { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import { HypothesisSet } from '@ai-triage/plugin-ai-triage-common';
import { Reasoner } from '@ai-triage/plugin-ai-triage-node';
import { IncidentStore } from '../database/IncidentStore';
import { Job } from '../queue/JobQueue';
import { TriageStore } from '../database/TriageStore';
import { FaultGrouper } from '../grouping/FaultGrouper';
import { groundHypotheses } from './groundHypotheses';
import { TriageResultPublisher } from '../publishing/TriageResultPublisher';
import { annotateIncident } from '../observability/instrumentStages';

/**
 * The `reason` stage: runs the configured reasoner over the incident's latest context; if it
 * fails (endpoint down, circuit open, invalid answer after the repair attempt), the heuristic
 * fallback answers and the run is stored as degraded (reasoner `<fallback> (fallback)`, with the
 * reason). Every finished run is published (event, notification) when a publisher is given.
 */
export class ReasoningHandler {
  static create(options: {
    triage: TriageStore;
    reasoner: Reasoner;
    fallback: Reasoner;
    logger: LoggerService;
    incidents?: IncidentStore;
    publisher?: TriageResultPublisher;
    /** One triage per fault: members of a fault group reuse their lead's (see FaultGrouper). */
    grouping?: FaultGrouper;
  }): ReasoningHandler {
    return new ReasoningHandler(options);
  }

  private constructor(
    private readonly options: Parameters<typeof ReasoningHandler.create>[0],
  ) {}

  async handle(job: Job): Promise<void> {
    const { triage, reasoner, fallback, logger, grouping } = this.options;
    if (await grouping?.followsLead(job.incidentId)) {
      return;
    }
    const context = await triage.getLatestContext(job.incidentId);
    if (!context) {
      throw new NotFoundError(
        `Incident ${job.incidentId} has no context document`,
      );
    }
    annotateIncident(job.incidentId, context.document.serviceName);
    const started = Date.now();
    let reasonerName = reasoner.name;
    let answeredBy: Reasoner = reasoner;
    let degradedReason: string | undefined;
    let result: HypothesisSet;
    try {
      result = groundHypotheses(
        await reasoner.reason(context.document),
        context.document,
      );
    } catch (error) {
      if (reasoner === fallback) {
        throw error;
      }
      degradedReason = String((error as Error)?.message ?? error);
      logger.warn(`Reasoner ${reasoner.name} failed; using ${fallback.name}`, {
        incidentId: job.incidentId,
        error: degradedReason,
      });
      reasonerName = `${fallback.name} (fallback)`;
      answeredBy = fallback;
      result = groundHypotheses(
        await fallback.reason(context.document),
        context.document,
      );
    }
    const run = await triage.saveTriageRun({
      incidentId: job.incidentId,
      contextId: context.id,
      reasoner: reasonerName,
      model: answeredBy.model,
      promptVersion: answeredBy.promptVersion,
      latencyMs: Date.now() - started,
      result,
      degradedReason,
    });
    const { incidents, publisher } = this.options;
    if (incidents && publisher) {
      const incident = await incidents.getIncident(job.incidentId);
      if (incident) {
        await publisher.publish(incident, run, result);
      }
    }
  }
}
