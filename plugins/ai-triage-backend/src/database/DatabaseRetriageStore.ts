import { Knex } from 'knex';
import { insertJob } from '../queue/DatabaseJobQueue';
import { isPostgres } from '../sql/isPostgres';
import { updateAutoRetriageCount } from './DatabaseIncidentStore';
import {
  AutoRetriageOutcome,
  AutoRetriagePayload,
  AutoRetriageTrigger,
  EvidenceGap,
  RetriageStore,
  TelemetryArrival,
} from './RetriageStore';

/** Pairs per `IN (...)` query, well below both databases' bind-variable limits. */
const MAX_PAIRS = 200;

/** {@link RetriageStore} on the plugin's database (`evidence_watches`, `incidents.auto_retriages`). */
export class DatabaseRetriageStore implements RetriageStore {
  static create(options: {
    knex: Knex;
    maxAttempts: number;
    /** How long an automatic re-triage's job waits, so evidence arriving together counts once. */
    debounceMs: number;
    /** Automatic re-triages per incident. */
    maxPerIncident: number;
  }): DatabaseRetriageStore {
    return new DatabaseRetriageStore(options);
  }

  private constructor(
    private readonly options: Parameters<
      typeof DatabaseRetriageStore.create
    >[0],
  ) {}

  async watchEvidence(
    incidentId: string,
    sinceMs: number,
    gaps: EvidenceGap[],
  ): Promise<void> {
    // One watch per (service, signal): the earliest record that would end it.
    const unique = new Map<string, EvidenceGap & { sinceMs: number }>();
    for (const gap of gaps) {
      const key = `${gap.serviceName}\n${gap.signal}`;
      const since = gap.sinceMs ?? sinceMs;
      if (since < (unique.get(key)?.sinceMs ?? Infinity))
        unique.set(key, { ...gap, sinceMs: since });
    }
    await this.options.knex.transaction(async tx => {
      await tx('evidence_watches').where('incident_id', incidentId).delete();
      if (unique.size === 0) return;
      const now = new Date();
      await tx('evidence_watches').insert(
        [...unique.values()].map(gap => ({
          incident_id: incidentId,
          service_name: gap.serviceName,
          signal: gap.signal,
          since_ms: Math.floor(gap.sinceMs),
          created_at: now,
        })),
      );
    });
  }

  async telemetryArrived(arrivals: TelemetryArrival[]): Promise<string[]> {
    const { knex } = this.options;
    // The latest record per (service, signal) decides: a watch counts records at or after its
    // window's start.
    const latest = new Map<string, TelemetryArrival>();
    for (const a of arrivals) {
      const key = `${a.serviceName}\n${a.signal}`;
      if ((latest.get(key)?.latestMs ?? -Infinity) < a.latestMs)
        latest.set(key, a);
    }
    const pairs = [...latest.values()].slice(0, MAX_PAIRS);
    if (pairs.length === 0) return [];
    // Only a triage that is shown waits for evidence: an incident in no group, or its group's
    // lead (a member that joined after its own triage watched for what that triage lacked).
    const rows: Array<{ incident_id: string }> = await knex('evidence_watches')
      .join('incidents', 'incidents.id', 'evidence_watches.incident_id')
      .leftJoin('fault_groups', 'fault_groups.id', 'incidents.fault_group_id')
      .whereNot('incidents.status', 'resolved')
      .where(q =>
        q
          .whereNull('incidents.fault_group_id')
          .orWhere('fault_groups.lead_incident_id', knex.ref('incidents.id')),
      )
      .where(q => {
        for (const pair of pairs) {
          q.orWhere(w =>
            w
              .where('evidence_watches.service_name', pair.serviceName)
              .where('evidence_watches.signal', pair.signal)
              .where('evidence_watches.since_ms', '<=', pair.latestMs),
          );
        }
      })
      .distinct('evidence_watches.incident_id');
    const queued: string[] = [];
    for (const { incident_id: incidentId } of rows) {
      const outcome = await this.requestAutoRetriage(incidentId, 'evidence');
      if (outcome === 'queued') queued.push(incidentId);
      if (outcome !== 'in-progress') {
        // Re-triaged, or never will be automatically: its watch ends. A job in progress keeps
        // it, and that job's enrichment replaces it.
        await knex('evidence_watches')
          .where('incident_id', incidentId)
          .delete();
      }
    }
    return queued;
  }

  async requestAutoRetriage(
    incidentId: string,
    trigger: AutoRetriageTrigger,
  ): Promise<AutoRetriageOutcome> {
    const { knex, maxAttempts, debounceMs, maxPerIncident } = this.options;
    return knex.transaction(async tx => {
      let query = tx('incidents')
        .where('id', incidentId)
        .first('status', 'auto_retriages');
      if (isPostgres(knex)) query = query.forUpdate();
      const incident: { status: string; auto_retriages: number } | undefined =
        await query;
      if (!incident) return 'not-found';
      if (incident.status === 'resolved') return 'resolved';
      if (await this.isReviewed(incidentId, tx)) return 'reviewed';
      const active = await tx('jobs')
        .where('incident_id', incidentId)
        .whereIn('type', ['enrich', 'reason'])
        .whereIn('status', ['queued', 'running'])
        .first('id');
      if (active) return 'in-progress';
      if (Number(incident.auto_retriages) >= maxPerIncident) return 'limit';
      const payload: AutoRetriagePayload = { trigger };
      await insertJob(tx, {
        type: 'enrich',
        incidentId,
        maxAttempts,
        runAfter: new Date(Date.now() + debounceMs),
        payload,
      });
      // The triage state stays as it is: the current hypotheses remain the answer until the
      // job runs (it marks the incident `enriching` then).
      await updateAutoRetriageCount(
        tx,
        incidentId,
        Number(incident.auto_retriages) + 1,
      );
      return 'queued';
    });
  }

  async isReviewed(incidentId: string, db: Knex = this.options.knex) {
    const review = await db('reviews')
      .where('incident_id', incidentId)
      .first('id');
    return Boolean(review);
  }
}

/** Whether a job is an automatic re-triage, and what triggered it. */
export function autoRetriageTriggerOf(
  payload: unknown,
): AutoRetriageTrigger | undefined {
  const trigger = (payload as Partial<AutoRetriagePayload> | null | undefined)
    ?.trigger;
  return trigger === 'evidence' || trigger === 'group' ? trigger : undefined;
}
