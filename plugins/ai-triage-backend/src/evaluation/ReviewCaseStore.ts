import { Knex } from 'knex';
import {
  CaseTruth,
  TRIAGE_CASE_VERSION,
  TriageCase,
  contextDocumentSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { namedService } from './metrics';

type Row = {
  incident_id: string;
  context_id: string | number;
  rank: number;
  origin: string | null;
  affected_components: string;
  decision: 'accepted' | 'modified' | 'rejected';
  modified_affected_components: string | null;
  document: string;
};

/**
 * Reviewed incidents as cases: the context the reviewed run read (stored redacted by
 * enrichment) and the truth the reviews give. Per incident, an accepted hypothesis names the
 * cause; else a modified one (its corrected affected components, else its origin); else a
 * rejected one says only which service it was `not`. Review comments and corrected texts are
 * not exported.
 */
export class ReviewCaseStore {
  constructor(private readonly knex: Knex) {}

  async listCases(since: Date): Promise<TriageCase[]> {
    const latest = this.knex('reviews')
      .max('id as id')
      .groupBy('hypothesis_id');
    const rows: Row[] = await this.knex('hypotheses as h')
      .join('triage_runs as r', 'r.id', 'h.run_id')
      .join('context_documents as c', 'c.id', 'r.context_id')
      .join('reviews as v', 'v.hypothesis_id', 'h.id')
      .whereIn('v.id', latest)
      .where('r.purpose', 'live')
      .where('v.created_at', '>=', since)
      .select(
        'h.incident_id',
        'r.context_id',
        'h.rank',
        'h.origin',
        'h.affected_components',
        'v.decision',
        'v.modified_affected_components',
        'c.document',
      )
      .orderBy(['h.incident_id', 'h.rank']);
    const byIncident = new Map<string, Row[]>();
    for (const row of rows) {
      byIncident.set(row.incident_id, [
        ...(byIncident.get(row.incident_id) ?? []),
        row,
      ]);
    }
    return [...byIncident.entries()].flatMap(([incidentId, reviewed]) => {
      const truth = truthOf(reviewed);
      if (!truth) return [];
      return [
        {
          version: TRIAGE_CASE_VERSION,
          id: `review-${incidentId}`,
          source: 'review' as const,
          incidentId,
          contextId: String(reviewed[0].context_id),
          context: contextDocumentSchema.parse(
            JSON.parse(reviewed[0].document),
          ),
          truth,
        },
      ];
    });
  }
}

function serviceOf(row: Row, corrected = false): string | null {
  const components: string[] = JSON.parse(
    (corrected && row.modified_affected_components) || row.affected_components,
  );
  return namedService({
    origin:
      corrected && row.modified_affected_components
        ? undefined
        : row.origin ?? undefined,
    affectedComponents: components,
  } as any);
}

function truthOf(reviewed: Row[]): CaseTruth | undefined {
  const accepted = reviewed.find(r => r.decision === 'accepted');
  const acceptedService = accepted && serviceOf(accepted);
  if (acceptedService) {
    return { type: 'cause', service: acceptedService, keywords: [] };
  }
  const modified = reviewed.find(r => r.decision === 'modified');
  const modifiedService = modified && serviceOf(modified, true);
  if (modifiedService) {
    return { type: 'cause', service: modifiedService, keywords: [] };
  }
  const rejected = reviewed.find(r => r.decision === 'rejected');
  const rejectedService = rejected && serviceOf(rejected);
  return rejectedService
    ? { type: 'not', service: rejectedService }
    : undefined;
}
