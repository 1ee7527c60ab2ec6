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
  /** How many rows (fault groups and incidents in no group) match the query in all. */
  totalCount: number;
  offset: number;
  limit: number;
};

/**
 * The feed row of an incident the grouped listing returned (a group's lead, or its earliest
 * matching member when the lead does not match the filters), completed from its detail: the
 * group's other incidents and the top hypothesis of the group's triage. Without a detail (not
 * triaged, or unreadable) the row holds the incident alone.
 *
 * @internal
 */
export function groupRowOf(
  incident: Incident,
  detail: IncidentDetailResponse | null,
): IncidentGroupRow {
  const members = [incident, ...(detail?.relatedIncidents ?? [])];
  const lead = members.find(member => member.faultGroupLead) ?? incident;
  return {
    id: incident.faultGroupId ?? incident.id,
    faultGroupId: incident.faultGroupId ?? null,
    lead,
    members: [lead, ...members.filter(member => member.id !== lead.id)],
    probableOrigin:
      incident.probableOrigin ?? detail?.faultGroup?.origin ?? null,
    topHypothesis: detail ? topHypothesisOf(detail) : null,
  };
}

/**
 * The feed's summary of an incident's best hypothesis.
 *
 * @internal
 */
function topHypothesisOf(
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
