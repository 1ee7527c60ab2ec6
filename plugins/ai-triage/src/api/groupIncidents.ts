import {
  Hypothesis,
  Incident,
  IncidentDetailResponse,
  ReviewDecision,
} from '@ai-triage/plugin-ai-triage-common';

/**
 * The top hypothesis of a group's lead incident, as the feed shows it.
 *
 * @public
 */
export type TopHypothesisSummary = Pick<
  Hypothesis,
  'id' | 'rootCause' | 'confidence' | 'probability' | 'kind' | 'origin'
> & {
  /** The latest review's decision, or null while unreviewed. */
  reviewDecision: ReviewDecision | null;
};

/**
 * One row of the feed: the incidents of one fault (a fault group), or an incident no group
 * holds.
 *
 * @public
 */
export type IncidentGroupRow = {
  /** The fault group's id, or the incident's id for an incident outside any group. */
  id: string;
  faultGroupId: string | null;
  /** The group's lead (whose triage is the group's), or the incident itself. */
  lead: Incident;
  /** Every incident of the group on this page, the lead first. */
  members: Incident[];
  probableOrigin: string | null;
  /** The lead's best hypothesis; null while untriaged or when there is none. */
  topHypothesis: TopHypothesisSummary | null;
};

/**
 * One page of the feed, one row per fault group.
 *
 * @public
 */
export type IncidentGroupListResponse = {
  items: IncidentGroupRow[];
  /** How many incidents (not rows) match the query in all: the page counts incidents. */
  totalCount: number;
  offset: number;
  limit: number;
};

/**
 * The incidents of one page grouped by their fault group, in the order of each group's first
 * incident on the page. The lead is the incident marked `faultGroupLead`, else the first.
 *
 * @internal
 */
export function groupIncidents(
  incidents: Incident[],
): Omit<IncidentGroupRow, 'topHypothesis'>[] {
  const rows = new Map<string, Omit<IncidentGroupRow, 'topHypothesis'>>();
  for (const incident of incidents) {
    const groupId = incident.faultGroupId ?? null;
    const id = groupId ?? incident.id;
    const row = rows.get(id);
    if (!row) {
      rows.set(id, {
        id,
        faultGroupId: groupId,
        lead: incident,
        members: [incident],
        probableOrigin: incident.probableOrigin ?? null,
      });
      continue;
    }
    row.members.push(incident);
    row.probableOrigin = row.probableOrigin ?? incident.probableOrigin ?? null;
    if (incident.faultGroupLead && !row.lead.faultGroupLead) {
      row.lead = incident;
    }
  }
  return [...rows.values()].map(row => ({
    ...row,
    members: [row.lead, ...row.members.filter(m => m !== row.lead)],
  }));
}

/**
 * The feed's summary of an incident's best hypothesis.
 *
 * @internal
 */
export function topHypothesisOf(
  detail: IncidentDetailResponse,
): TopHypothesisSummary | null {
  const top = [...detail.hypotheses].sort((a, b) => a.rank - b.rank)[0];
  if (!top) {
    return null;
  }
  return {
    id: top.id,
    rootCause: top.review?.modifiedRootCause ?? top.rootCause,
    confidence: top.confidence,
    probability: top.probability,
    kind: top.kind,
    origin: top.origin,
    reviewDecision: top.review?.decision ?? null,
  };
}
