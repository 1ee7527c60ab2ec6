import { Attributes, Meter, metrics } from '@opentelemetry/api';
import { ContextDocument } from '@ai-triage/plugin-ai-triage-common';
import { INSTRUMENTATION_SCOPE } from './tracing';

/** How a job attempt ended, as `job.outcome` reports it. */
export type JobOutcome =
  | 'done'
  | 'retry'
  | 'dead'
  /** The job finished after its lease was taken over; the other run's outcome counts. */
  | 'lease_lost'
  /** The outcome could not be written (database unreachable); the job runs again. */
  | 'unrecorded';

/** Which reasoner answers in this process, as `ai_triage.reasoner.kind` reports it. */
type ReasonerKind = 'llm' | 'heuristic' | 'custom';

/** The kind of the reasoner that answers: a module's, else the LLM when configured. */
export function reasonerKindOf(options: {
  custom: boolean;
  llm: boolean;
}): ReasonerKind {
  if (options.custom) {
    return 'custom';
  }
  return options.llm ? 'llm' : 'heuristic';
}

/** Bucket boundaries (seconds) of the stage histograms: milliseconds to ten minutes. */
const STAGE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
  600,
];

/**
 * Bucket boundaries (seconds) of `ai_triage.triage.duration`. The SLO thresholds
 * (`aiTriage.slo.*`) are added, so the recording rules can count the good events exactly.
 */
const TRIAGE_BUCKETS = [
  0.5, 1, 2.5, 5, 10, 15, 30, 60, 90, 120, 180, 300, 600, 1800,
];

/**
 * The pipeline's metric instruments (see docs/operations.md for every name, unit and
 * attribute). From the global meter provider unless one is given; a no-op when no SDK runs.
 * Exported to Prometheus, `ai_triage.intake.duration` (unit s) becomes
 * `ai_triage_intake_duration_seconds_{bucket,sum,count}` and a counter gains `_total`.
 */
export class PipelineMetrics {
  static create(
    options: {
      meter?: Meter;
      reasonerKind?: ReasonerKind;
      /** SLO thresholds in seconds, added to the triage histogram's buckets. */
      sloThresholdsSeconds?: number[];
    } = {},
  ): PipelineMetrics {
    return new PipelineMetrics(
      options.meter ?? metrics.getMeter(INSTRUMENTATION_SCOPE),
      options.reasonerKind ?? 'heuristic',
      options.sloThresholdsSeconds ?? [],
    );
  }

  private readonly intakeDuration;
  private readonly deliveries;
  private readonly alerts;
  private readonly jobDuration;
  private readonly queueWait;
  private readonly jobs;
  private readonly triageDuration;
  private readonly redactions;
  private readonly truncations;

  private constructor(
    meter: Meter,
    private readonly reasonerKind: ReasonerKind,
    sloThresholdsSeconds: number[],
  ) {
    this.intakeDuration = meter.createHistogram('ai_triage.intake.duration', {
      description:
        'Time to answer an alert webhook delivery (parse, validate, store, enqueue)',
      unit: 's',
      advice: { explicitBucketBoundaries: STAGE_BUCKETS },
    });
    this.deliveries = meter.createCounter('ai_triage.intake.deliveries', {
      description:
        'Alert webhook deliveries by source and outcome (accepted, rejected) with the rejection reason',
      unit: '{delivery}',
    });
    this.alerts = meter.createCounter('ai_triage.intake.alerts', {
      description:
        'Alerts in webhook deliveries by source and outcome (accepted, rejected) with the rejection reason',
      unit: '{alert}',
    });
    this.jobDuration = meter.createHistogram('ai_triage.job.duration', {
      description:
        'Time a worker spent on one attempt of an enrich or reason job, by job.type and job.outcome',
      unit: 's',
      advice: { explicitBucketBoundaries: STAGE_BUCKETS },
    });
    this.queueWait = meter.createHistogram('ai_triage.queue.wait', {
      description:
        'Time a job waited in the queue from becoming runnable to being claimed, by job.type',
      unit: 's',
      advice: { explicitBucketBoundaries: STAGE_BUCKETS },
    });
    this.jobs = meter.createCounter('ai_triage.jobs', {
      description:
        'Finished job attempts by job.type and job.outcome (done, retry, dead, lease_lost, unrecorded)',
      unit: '{job}',
    });
    this.triageDuration = meter.createHistogram('ai_triage.triage.duration', {
      description:
        'Alert → hypotheses latency: from accepting the alert (or a re-triage) until hypotheses or an explicit abstention are stored, or the triage failed',
      unit: 's',
      advice: {
        explicitBucketBoundaries: [
          ...new Set([...TRIAGE_BUCKETS, ...sloThresholdsSeconds]),
        ].sort((a, b) => a - b),
      },
    });
    this.redactions = meter.createCounter('ai_triage.context.redactions', {
      description:
        'Values redacted from telemetry before it entered a context document, by kind',
      unit: '{redaction}',
    });
    this.truncations = meter.createCounter('ai_triage.context.truncations', {
      description:
        'Context documents cut short, by what was cut (a signal at its record limit, or a section over the size budget)',
      unit: '{truncation}',
    });
  }

  recordDelivery(delivery: {
    source: string;
    durationMs: number;
    alerts: number;
    /** The HTTP status of the answer; 5xx are the intake SLO's bad events. */
    statusCode: number;
    /** Absent when accepted. */
    rejectionReason?: string;
  }): void {
    const attributes: Attributes = {
      'ai_triage.alert.source': delivery.source,
      'http.response.status_code': delivery.statusCode,
      'ai_triage.intake.outcome': delivery.rejectionReason
        ? 'rejected'
        : 'accepted',
      ...(delivery.rejectionReason
        ? { 'ai_triage.intake.rejection_reason': delivery.rejectionReason }
        : {}),
    };
    this.intakeDuration.record(delivery.durationMs / 1000, attributes);
    this.deliveries.add(1, attributes);
    this.alerts.add(delivery.alerts, attributes);
  }

  recordQueueWait(type: string, waitMs: number): void {
    this.queueWait.record(Math.max(0, waitMs) / 1000, { 'job.type': type });
  }

  recordJob(type: string, outcome: JobOutcome, durationMs: number): void {
    const attributes = { 'job.type': type, 'job.outcome': outcome };
    this.jobDuration.record(durationMs / 1000, attributes);
    this.jobs.add(1, attributes);
  }

  /** A triage ended: hypotheses (or abstention) stored, or its last job died. */
  recordTriage(outcome: 'triaged' | 'failed', durationMs: number): void {
    this.triageDuration.record(Math.max(0, durationMs) / 1000, {
      'ai_triage.triage.outcome': outcome,
      'ai_triage.reasoner.kind': this.reasonerKind,
    });
  }

  /** Redactions and truncations of a stored context document. */
  recordContext(document: ContextDocument): void {
    const byKind = document.redactionsByKind ?? {};
    let counted = 0;
    for (const [kind, count] of Object.entries(byKind)) {
      this.redactions.add(count, { 'ai_triage.redaction.kind': kind });
      counted += count;
    }
    if (document.redactions > counted) {
      this.redactions.add(document.redactions - counted, {
        'ai_triage.redaction.kind': 'unknown',
      });
    }
    for (const what of new Set(document.truncated)) {
      this.truncations.add(1, {
        // Entries name a signal ("logs") or a section, sometimes followed by details.
        'ai_triage.context.truncated': what.split(/[\s:(]/)[0] || what,
      });
    }
  }
}
