import {
  CurrentRootCause,
  IncidentStatus,
  TicketRef,
  Review,
  ReviewRequest,
} from '@ai-triage/plugin-ai-triage-common';
import { isDatabaseConflictError } from '@backstage/backend-plugin-api';
import { Knex } from 'knex';
import { insertJobs } from '../queue/DatabaseJobQueue';
import { insertReview } from '../database/DatabaseTriageStore';
import {
  updateCurrentRootCause,
  updateIncidentStatus,
  updateIncidentTicket,
} from '../database/DatabaseIncidentStore';
import { DbTimestamp, toIsoOrNull } from '../sql/timestamps';
import { DeliveryJob } from '../outbound/OutboundPlanner';

export type { DeliveryJob };

type StoredWorkflow = {
  statusChangedBy: string | null;
  statusChangedAt: string | null;
  ticket: TicketRef | null;
  currentRootCause: CurrentRootCause | null;
};

type WorkflowRow = {
  id: string;
  correlation_key: string;
  status: IncidentStatus;
  status_changed_by: string | null;
  status_changed_at: DbTimestamp | null;
  ticket_ref: string | null;
  current_root_cause: string | null;
};

type StatusChangeOutcome =
  | { outcome: 'changed' }
  | { outcome: 'not-found' }
  /** Someone else changed the status first; `expected` no longer holds. */
  | { outcome: 'stale' }
  /** Reopening would make two active incidents of one correlation key. */
  | { outcome: 'conflict' };

/**
 * The incident workflow's data: status changes with their history, the ticket reference, the
 * current root cause, and the outbound deliveries each change queues, written in one transaction
 * with the change so a crash never loses a delivery of a stored change.
 */
export class DatabaseWorkflowStore {
  static create(options: { knex: Knex }): DatabaseWorkflowStore {
    return new DatabaseWorkflowStore(options.knex);
  }

  private constructor(private readonly knex: Knex) {}

  async getWorkflow(incidentId: string): Promise<StoredWorkflow | undefined> {
    const row: WorkflowRow | undefined = await this.knex('incidents')
      .where('id', incidentId)
      .first();
    if (!row) {
      return undefined;
    }
    return {
      statusChangedBy: row.status_changed_by,
      statusChangedAt: toIsoOrNull(row.status_changed_at),
      ticket: row.ticket_ref ? JSON.parse(row.ticket_ref) : null,
      currentRootCause: row.current_root_cause
        ? JSON.parse(row.current_root_cause)
        : null,
    };
  }

  /**
   * Moves the incident from `expected` to `status`, records who did it, and queues `deliveries`.
   * Resolving frees the correlation key; reopening or acknowledging a resolved incident takes it
   * back, which fails with `conflict` when a newer incident of the key is active.
   */
  async setStatus(input: {
    incidentId: string;
    expected: IncidentStatus;
    status: IncidentStatus;
    actor: string;
    comment?: string;
    deliveries: DeliveryJob[];
  }): Promise<StatusChangeOutcome> {
    try {
      return await this.knex.transaction(async tx => {
        const row: WorkflowRow | undefined = await tx('incidents')
          .where('id', input.incidentId)
          .first();
        if (!row) {
          return { outcome: 'not-found' as const };
        }
        const now = new Date();
        const updated = await updateIncidentStatus(tx, {
          incidentId: input.incidentId,
          correlationKey: row.correlation_key,
          expected: input.expected,
          status: input.status,
          actor: input.actor,
          at: now,
        });
        if (!updated) {
          return { outcome: 'stale' as const };
        }
        await tx('incident_status_changes').insert({
          incident_id: input.incidentId,
          from_status: input.expected,
          to_status: input.status,
          actor: input.actor,
          comment: input.comment ?? null,
          created_at: now,
        });
        await insertDeliveries(tx, input.deliveries);
        return { outcome: 'changed' as const };
      });
    } catch (error) {
      if (isDatabaseConflictError(error)) {
        return { outcome: 'conflict' };
      }
      throw error;
    }
  }

  /** Sets (or with null clears) the ticket reference; false when the incident does not exist. */
  async setTicket(incidentId: string, ticket: TicketRef | null) {
    return updateIncidentTicket(this.knex, incidentId, ticket, new Date());
  }

  /**
   * Stores a review and its effect on the incident in one transaction with the `deliveries` it
   * causes (an outbox), so a failure stores neither: an accepted or modified hypothesis becomes
   * the current root cause; rejecting the current one clears it.
   */
  async recordReview(input: {
    incidentId: string;
    hypothesisId: string;
    reviewer: string;
    review: ReviewRequest;
    reviewedAt: Date;
    rootCause: CurrentRootCause | null;
    deliveries: DeliveryJob[];
  }): Promise<Review> {
    return await this.knex.transaction(async tx => {
      const created = await insertReview(tx, {
        incidentId: input.incidentId,
        hypothesisId: input.hypothesisId,
        reviewer: input.reviewer,
        review: input.review,
        createdAt: input.reviewedAt,
      });
      if (input.rootCause) {
        await updateCurrentRootCause(tx, input.incidentId, input.rootCause);
      } else {
        const row: WorkflowRow | undefined = await tx('incidents')
          .where('id', input.incidentId)
          .first();
        const current = row?.current_root_cause
          ? (JSON.parse(row.current_root_cause) as CurrentRootCause)
          : undefined;
        if (current?.hypothesisId === input.hypothesisId) {
          await updateCurrentRootCause(tx, input.incidentId, null);
        }
      }
      await insertDeliveries(tx, input.deliveries);
      return created;
    });
  }

  /** Queues deliveries of a change stored elsewhere (a re-triage request). */
  async enqueueDeliveries(deliveries: DeliveryJob[]): Promise<void> {
    if (deliveries.length === 0) {
      return;
    }
    await this.knex.transaction(tx => insertDeliveries(tx, deliveries));
  }
}

async function insertDeliveries(
  tx: Knex.Transaction,
  deliveries: DeliveryJob[],
): Promise<void> {
  await insertJobs(
    tx,
    deliveries.map(delivery => ({ ...delivery, type: 'deliver' as const })),
  );
}
