import { Job, JobStatus, JobType } from './JobQueue';
import { toIso, toIsoOrNull } from '../sql/timestamps';

/** A row of the `jobs` table, as either database returns it. */
export type JobRow = {
  id: string | number;
  type: JobType;
  incident_id: string;
  payload?: string | null;
  status: JobStatus;
  attempts: number;
  max_attempts: number;
  run_after: Date | number | string;
  lease_owner: string | null;
  lease_expires_at: Date | number | string | null;
  last_error: string | null;
  created_at: Date | number | string;
  updated_at: Date | number | string;
  traceparent: string | null;
  triage_started_at: Date | number | string | null;
};

/** The job a row holds. */
export function toJob(row: JobRow): Job {
  return {
    id: String(row.id),
    type: row.type,
    incidentId: row.incident_id,
    ...(row.payload ? { payload: JSON.parse(row.payload) } : {}),
    status: row.status,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAfter: toIso(row.run_after),
    leaseOwner: row.lease_owner,
    leaseExpiresAt: toIsoOrNull(row.lease_expires_at),
    lastError: row.last_error,
    createdAt: toIso(row.created_at),
    updatedAt: toIso(row.updated_at),
    traceparent: row.traceparent ?? null,
    triageStartedAt: toIso(row.triage_started_at ?? row.created_at),
  };
}
