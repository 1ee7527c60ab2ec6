import {
  ChangeEvent,
  ContextDocument,
  LogTemplate,
} from '@ai-triage/plugin-ai-triage-common';
import {
  MIN_ERROR_COUNT,
  MIN_ERROR_RATE,
  notUnchanged,
  operationErrors,
  templateNew,
} from './baseline';
import { Candidate } from './scoring';
import {
  ERROR_LEVELS,
  clip,
  describeOperation,
  firingAlerts,
  possessive,
  sentences,
  time,
} from './text';

/**
 * Log lines of a change to the service: Kubernetes rollout events, deploy and release notes,
 * configuration and feature-flag changes.
 */
const CHANGE_LOG =
  /\b(deploy(ed|ing|ment)?|rolled out|roll(ing)?[ -]?out|rollout|scaled up replica set|pulled image|new revision|release[sd]? v?\d+\.\d+|upgraded? to v?\d+\.\d+|config(uration)? (change[sd]?|reload(ed)?|update[sd]?)|feature[ -]flag)\b/i;

/**
 * A change counts for trouble that began at most 30 minutes after it (a rollout of many replicas
 * takes minutes, and a leak it brings can take longer to show), or at most a minute before it
 * (clocks of the log shipper and the deploy tool disagree by seconds).
 */
const CHANGE_LEAD_MS = 30 * 60_000;
const CHANGE_SLACK_MS = 60_000;
/**
 * A change lines up with the onset when the onset came at most 10 minutes after it: a deploy
 * that breaks requests does so as its first new pods take traffic, within a rollout's duration.
 */
const ONSET_ALIGNMENT_MS = 10 * 60_000;

type Change = {
  id: string;
  at: number;
  lastAt: number;
  description: string;
  version?: string | null;
};

/**
 * A recent change of the service (a deploy event in `changes`, or rollout, deploy, config or
 * feature-flag lines in its logs), followed by new errors or by the onset itself.
 *
 * Evidence: the change (with its time), error templates that first appeared after it, failing
 * operations, and the onset found on the service's RED series.
 *
 * Baseline comparison: the errors must be new against the baseline (no records of the template
 * there) and the operations' error rates must have doubled; without template baselines the
 * errors are `unknown` and the candidate is capped. A deploy that lines up with a change-point
 * onset is evidence by itself (the series changed right after it), which a steady dependency
 * share never is: a bad deploy ranks above it.
 *
 * Strength: 0.75 for a change followed by new errors, +0.1 when both new error logs and failing
 * operations follow, +0.05 when the change is a structured deploy event or several change lines
 * agree, +0.05 when it lines up with the onset; 0.6 for a change that lines up with a
 * change-point onset without new errors, or that localization found the service's own
 * behaviour or calls changed with (suspect kind `deploy`); 0.3 (a lead) otherwise. Hand-set on
 * the simulated scenarios; calibration from reviews replaces them.
 */
export function changeCandidates(context: ContextDocument): Candidate[] {
  const service = context.serviceName;
  const changes = changesOf(context);
  if (changes.length === 0) return [];
  const changedAt = Math.min(...changes.map(c => c.at));
  const lastChangeAt = Math.max(...changes.map(c => c.lastAt));
  const after = (iso: string) => {
    const at = Date.parse(iso);
    return (
      at >= changedAt - CHANGE_SLACK_MS && at <= lastChangeAt + CHANGE_LEAD_MS
    );
  };
  const newErrors = context.logTemplates.filter(
    t =>
      ERROR_LEVELS.has(t.level) &&
      t.count >= MIN_ERROR_COUNT &&
      notUnchanged(templateNew(t)) &&
      after(t.firstSeen),
  );
  const failing = context.operations.filter(
    o =>
      o.errorCount >= MIN_ERROR_COUNT &&
      o.errorRate >= MIN_ERROR_RATE &&
      notUnchanged(operationErrors(o)),
  );
  const onsetAt =
    context.onset?.at && context.onset.method === 'change-point'
      ? Date.parse(context.onset.at)
      : undefined;
  const alignedWithOnset =
    onsetAt !== undefined &&
    changes.some(
      c =>
        onsetAt >= c.at - CHANGE_SLACK_MS &&
        onsetAt - c.at <= ONSET_ALIGNMENT_MS,
    );
  // Localization found the service's own behaviour or its calls changed in the windows of a
  // deploy of it (a slower query, more calls): the change in the series after the deploy,
  // read per call where the RED series' onset fell before it (an alert on noise).
  const localizedDeploy =
    context.localization?.origin === service &&
    context.localization.suspects.some(
      s => s.service === service && s.kind === 'deploy',
    );
  const trouble = newErrors.length > 0 || failing.length > 0;
  const structured = changes.some(c => c.id.startsWith('change:'));
  let strength = 0.3;
  if (trouble) {
    strength = 0.75;
    if (newErrors.length > 0 && failing.length > 0) strength += 0.1;
    if (changes.length > 1 || structured) strength += 0.05;
    if (alignedWithOnset || localizedDeploy) strength += 0.05;
  } else if (alignedWithOnset || localizedDeploy) {
    strength = 0.6;
  }
  const unknownBaseline =
    trouble &&
    newErrors.every(t => templateNew(t) === 'unknown') &&
    failing.every(o => operationErrors(o) === 'unknown');

  const change = changes[changes.length - 1];
  const firstError = newErrors[0];
  const described = `${change.description} at ${time(
    new Date(change.at).toISOString(),
  )}`;
  let consequence = '';
  if (firstError) {
    consequence = `, and a new error began right after it: "${clip(
      firstError.template,
      160,
    )}"`;
  } else if (failing.length > 0) {
    consequence = `, and ${failing[0].operation} began failing right after it`;
  } else if (alignedWithOnset) {
    consequence = `, and the incident began right after it (onset ${time(
      context.onset!.at!,
    )})`;
  }
  return [
    {
      strength: Math.min(1, strength),
      order: 0,
      rule: 'changes',
      kind: 'deploy',
      origin: service,
      baselineMissing: unknownBaseline
        ? 'the errors after the change have no baseline counts to show they are new'
        : undefined,
      explains: trouble
        ? [...newErrors.map(t => t.id), ...failing.map(o => o.id)]
        : [],
      hypothesis: {
        rootCause:
          trouble || alignedWithOnset
            ? `A recent change (deploy) of ${service} broke it: ${described}${consequence}.`
            : `A recent change (deploy) of ${service} may be involved: ${described}.`,
        affectedComponents: [service],
        reasoning: sentences(
          `${possessive(service)} changes in the incident window: ${changes
            .slice(-3)
            .map(
              c => `${c.description} (${time(new Date(c.at).toISOString())})`,
            )
            .join('; ')}.`,
          alignedWithOnset &&
            `The onset found on ${possessive(service)} own ${
              context.onset?.series ?? 'RED'
            } series lines up with it.`,
          newErrors.length > 0 &&
            `Error templates that did not occur in the baseline began after it: ${newErrors
              .slice(0, 3)
              .map(
                t =>
                  `"${clip(t.template, 120)}" (${t.count}x from ${time(
                    t.firstSeen,
                  )})`,
              )
              .join('; ')}.`,
          failing.length > 0 &&
            `Failing operations: ${failing
              .slice(0, 3)
              .map(describeOperation)
              .join('; ')}.`,
          !trouble &&
            !alignedWithOnset &&
            'No new errors followed it, so it is only a lead.',
        ),
        diagnosticSteps: [
          `Compare the running version of ${service} with the previous one${
            change.version ? ` (${change.version})` : ''
          }: kubectl rollout history deployment/${service}, and the diff of the release.`,
          `Roll back if the errors began with the change: kubectl rollout undo deployment/${service}, then watch the error rate.`,
          `Read the first failing requests after ${new Date(
            change.at,
          ).toISOString()} (trace ids on the error logs) to find the code path the change broke.`,
        ],
        evidenceIds: [
          ...changes.slice(-3).map(c => c.id),
          ...newErrors.slice(0, 3).map(t => t.id),
          ...failing.slice(0, 2).map(o => o.id),
          ...firingAlerts(context),
        ],
      },
    },
  ];
}

/** The service's changes, oldest first: structured change events, then change log lines. */
function changesOf(context: ContextDocument): Change[] {
  const events = (context.changes ?? [])
    .filter(c => c.service === context.serviceName && c.kind !== 'restart')
    .map(fromEvent);
  const logs = context.logTemplates
    .filter(
      t =>
        !ERROR_LEVELS.has(t.level) &&
        notUnchanged(templateNew(t)) &&
        CHANGE_LOG.test(`${t.template} ${t.sample}`),
    )
    .map(fromLog);
  return [...events, ...logs].sort(
    (a, b) => a.at - b.at || (a.id < b.id ? -1 : 1),
  );
}

function fromEvent(event: ChangeEvent): Change {
  const at = Date.parse(event.at);
  const versions =
    event.from || event.to ? ` ${event.from ?? '?'} → ${event.to ?? '?'}` : '';
  return {
    id: event.id,
    at,
    lastAt: at,
    description: versions
      ? `${event.kind} of ${event.service}${versions}`
      : `${event.kind} "${clip(event.summary, 140)}"`,
    version: event.to,
  };
}

function fromLog(template: LogTemplate): Change {
  return {
    id: template.id,
    at: Date.parse(template.firstSeen),
    lastAt: Date.parse(template.lastSeen),
    description: `"${clip(template.sample || template.template, 160)}"`,
  };
}
