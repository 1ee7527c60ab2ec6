import {
  FaultKind,
  Hypothesis,
  IncidentDetailResponse,
} from '@ai-triage/plugin-ai-triage-common';

/** What the incident view says first: where the fault probably is, what kind and since when. */
export type Headline = {
  /** The hypothesis the line is about (the best-ranked one). */
  hypothesis: Hypothesis;
  /** The service the fault began in, when known. */
  origin: string | null;
  /** The service the origin hurts first on the way to the alerted one (the origin's caller). */
  victim: string | null;
  kind: FaultKind | null;
  /** The sentence without the time: "carrier-api rate-limits shipping". */
  statement: string;
  /** When the fault began (the onset, else the earliest alert, else the incident's first sighting). */
  since: string;
  sinceSource: 'onset' | 'alert' | 'first-seen';
  /** 0..1, when the reasoner gave one. */
  probability: number | null;
};

/** How each kind of fault reads in one line, given its origin and the caller it hurts. */
const PHRASES: Record<
  FaultKind,
  (origin: string, victim: string | null) => string
> = {
  latency: (o, v) => (v ? `${o} is slow for ${v}` : `${o} is slow`),
  errors: (o, v) => (v ? `${o} returns errors to ${v}` : `${o} returns errors`),
  'resource-wait': o => `${o} waits for its own pool, lock or queue`,
  saturation: o => `${o} is saturated`,
  deploy: o => `a deploy of ${o} went wrong`,
  'rate-limit': (o, v) =>
    v ? `${o} rate-limits ${v}` : `${o} rate-limits its callers`,
  timeout: (o, v) =>
    v ? `calls from ${v} to ${o} time out` : `calls to ${o} time out`,
  network: (o, v) =>
    v ? `${v} cannot reach ${o} (network)` : `${o} is unreachable (network)`,
  'bad-input': o => `${o} fails on bad input`,
  unknown: o => `${o} misbehaves`,
};

/** The earliest alert start of the incident, if any alert is stored. */
function earliestAlertStart(detail: IncidentDetailResponse): string | null {
  const starts = detail.alerts.map(alert => alert.startsAt).sort();
  return starts[0] ?? null;
}

/**
 * The origin the best hypothesis names: its own `origin`, else the localization's, else the
 * incident's probable origin. Affected components are not read as the origin: hypotheses made
 * before localization did not list the origin first.
 */
function originOf(
  hypothesis: Hypothesis,
  detail: IncidentDetailResponse,
): string | null {
  return (
    hypothesis.origin ??
    detail.context?.localization?.origin ??
    detail.incident.probableOrigin ??
    null
  );
}

/**
 * The caller of the origin on the path from the alerted service, so a line can say whom the
 * origin hurts; the next affected component when there is no localization path.
 */
function victimOf(
  origin: string,
  hypothesis: Hypothesis,
  detail: IncidentDetailResponse,
): string | null {
  const path = detail.context?.localization?.path ?? [];
  const index = path.indexOf(origin);
  if (index > 0) {
    return path[index - 1];
  }
  const components = hypothesis.affectedComponents;
  const at = components.indexOf(origin);
  return at >= 0 && components[at + 1] ? components[at + 1] : null;
}

/** Characters of a root cause the headline quotes at most. */
const STATEMENT_MAX = 140;

/** A root cause up to its first colon ("X is failing: 7% of calls…" → "X is failing"), cut short. */
function firstClause(rootCause: string): string {
  const clause = rootCause.split(/:\s/)[0].trim();
  return clause.length > STATEMENT_MAX
    ? `${clause.slice(0, STATEMENT_MAX - 1)}…`
    : clause;
}

/**
 * The one line the incident view leads with, or null while there is no hypothesis.
 *
 * @internal
 */
export function headlineOf(detail: IncidentDetailResponse): Headline | null {
  const hypothesis = [...detail.hypotheses].sort((a, b) => a.rank - b.rank)[0];
  if (!hypothesis) {
    return null;
  }
  // The line must say what the reviewed hypothesis says: one that names no origin of its own is
  // quoted (its first clause), not replaced by the localization's origin, which may differ.
  const origin = hypothesis.origin ? originOf(hypothesis, detail) : null;
  const victim = origin ? victimOf(origin, hypothesis, detail) : null;
  const kind = hypothesis.kind ?? null;
  let statement: string;
  if (origin) {
    statement = PHRASES[kind ?? 'unknown'](origin, victim);
    if (!kind) {
      statement = `${origin} is the probable origin`;
    }
  } else {
    statement = firstClause(
      hypothesis.review?.modifiedRootCause ?? hypothesis.rootCause,
    );
  }

  const onsetAt = detail.context?.onset?.at ?? null;
  const alertStart = earliestAlertStart(detail);
  let since = detail.incident.firstSeenAt;
  let sinceSource: Headline['sinceSource'] = 'first-seen';
  if (onsetAt) {
    since = onsetAt;
    sinceSource = 'onset';
  } else if (alertStart) {
    since = alertStart;
    sinceSource = 'alert';
  }
  return {
    hypothesis,
    origin,
    victim,
    kind,
    statement,
    since,
    sinceSource,
    probability: hypothesis.probability ?? null,
  };
}
