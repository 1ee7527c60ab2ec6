import {
  ContextDocument,
  Localization,
  ServiceSuspect,
  evidenceIdsOf,
} from '@ai-triage/plugin-ai-triage-common';
import { MIN_LATENCY_GROWTH, MIN_LATENCY_GROWTH_MS } from './baseline';
import { serviceOf } from './dependencies';
import { Candidate, GENERIC_KINDS, anomalyStrength } from './scoring';
import { serviceCandidates, serviceView } from './serviceView';
import { firingAlerts, mentions, ms, possessive, sentences } from './text';

/**
 * The origin of a fault that lies downstream of the alerted service, from the context's
 * localization (TraceRCA/MicroRank line: walk the call graph from the alerted service along
 * edges whose latency or errors changed, and blame the deepest service whose *own* behaviour
 * changed: its self time or the errors that originate in it, not what it passes on).
 *
 * Evidence: the origin's suspect summary (robust anomaly score against the pre-onset baseline,
 * self time now and in the baseline, originating vs. passed-on errors), the origin's own
 * operations, log templates, metrics and changes (read with the same rule families as the
 * alerted service, which also give the kind), and the alerted service's calls towards it.
 *
 * Baseline comparison: the suspect's `changed` against the baseline; with `baselineKnown` false
 * the origin is still named but `baselineMissing` (capped low).
 *
 * Strength: 0.5 for the deepest changed service on a changed path (a medium lead by itself),
 * + up to 0.3 from its anomaly score (scoring.anomalyStrength), + up to 0.15 from the strength
 * of its own best evidence, + 0.05 when every edge on the path changed; at most 0.92.
 *
 * It takes the evidence of the alerted service's dependency towards the origin, so the
 * neighbour that only passes the fault on gets no hypothesis of its own. An origin one hop down
 * that the alerted service calls is left to the dependency rule.
 */
export function originCandidates(context: ContextDocument): Candidate[] {
  const localization = context.localization;
  if (!localization) return [];
  const origin = originOf(localization);
  if (!origin || origin === context.serviceName) return [];
  const suspect = localization.suspects.find(s => s.service === origin);
  const path = pathTo(localization, context.serviceName, origin);
  const hops = suspect?.hops ?? path.length - 1;
  // A direct dependency is named by the dependency rule, which reads how its calls fail (and
  // takes localization's word on its own behaviour); this rule is for faults further down.
  const calls = context.dependencies.filter(
    d => (d.service ?? context.serviceName) === context.serviceName,
  );
  if (hops <= 1 && calls.some(d => serviceOf(context, d) === origin)) {
    return [];
  }

  const own = serviceCandidates(serviceView(context, origin), new Set()).sort(
    (a, b) => b.strength - a.strength || a.order - b.order,
  );
  const best = own[0];
  const kind = originKind(best, suspect);

  let strength = 0.5;
  if (suspect) strength += 0.3 * anomalyStrength(suspect.anomalyScore);
  if (best) strength += 0.15 * Math.min(1, best.strength);
  const edges = pathEdges(localization, path);
  if (edges.length > 0 && edges.every(e => e.changed.length > 0)) {
    strength += 0.05;
  }

  const neighbour = path[1];
  const towards = calls.filter(
    d => neighbour !== undefined && serviceOf(context, d) === neighbour,
  );
  const known = evidenceIdsOf(context);
  const described = best
    ? lowerFirst(best.hypothesis.rootCause.replace(/\.$/, ''))
    : describeSuspect(origin, suspect);
  // Error logs of the alerted service that name a service further down the path are the
  // caller's view of the same fault.
  const pathLogs = context.logTemplates.filter(
    t =>
      (t.service ?? context.serviceName) === context.serviceName &&
      path.slice(1).some(s => mentions(`${t.template} ${t.sample}`, s)),
  );
  const entryOperations = context.operations
    .filter(o => (o.service ?? context.serviceName) === context.serviceName)
    .filter(o => o.errorCount > 0)
    .slice(0, 1);

  return [
    {
      strength: Math.min(0.92, strength),
      order: 1,
      rule: 'origin',
      kind,
      origin,
      baselineMissing:
        suspect && !suspect.baselineKnown
          ? `no baseline for ${possessive(origin)} own behaviour`
          : best?.baselineMissing,
      explains: [
        ...towards.map(d => d.id),
        ...entryOperations.map(o => o.id),
        ...pathLogs.map(t => t.id),
      ],
      hypothesis: {
        rootCause: `The fault began in ${origin}, ${hops} hop${
          hops === 1 ? '' : 's'
        } down from ${context.serviceName} (${path.join(
          ' → ',
        )}): ${described}.`,
        affectedComponents: [...path.slice(0, -1).reverse()],
        reasoning: sentences(
          `Localization (${localization.method}) walked from ${context.serviceName} along calls whose latency or errors changed against the baseline and found ${origin} the deepest service whose own behaviour changed.`,
          suspect && `${describeSuspect(origin, suspect)}.`,
          path.length > 2 &&
            `${path
              .slice(1, -1)
              .join(
                ' and ',
              )} only pass the change on: their own time and errors did not change.`,
          best &&
            `${possessive(origin)} own evidence: ${best.hypothesis.reasoning}`,
        ),
        diagnosticSteps: [
          ...(best?.hypothesis.diagnosticSteps.slice(0, 2) ?? []),
          `Open ${possessive(
            origin,
          )} service page and dashboards: its own latency, errors and saturation since the onset${
            context.onset?.at ? ` (${context.onset.at})` : ''
          }, and its recent deploys.`,
          `Confirm the path in traces: TraceQL { resource.service.name = "${
            context.serviceName
          }" } >> { resource.service.name = "${origin}" && status = error } or the slowest spans of ${origin} under ${possessive(
            context.serviceName,
          )} requests.`,
        ],
        evidenceIds: [
          ...(suspect?.evidenceIds ?? []).filter(id => known.has(id)),
          ...(best?.hypothesis.evidenceIds ?? []),
          ...towards.map(d => d.id),
          ...entryOperations.map(o => o.id),
          ...pathLogs.slice(0, 2).map(t => t.id),
          ...firingAlerts(context),
        ],
      },
    },
  ];
}

/**
 * The origin localization named, checked: the deepest suspect whose own behaviour changed when
 * localization named none or one that did not change (a contract breach we do not follow).
 */
export function originOf(localization: Localization): string | null {
  const changed = localization.suspects.filter(s => s.changed);
  if (
    localization.origin &&
    (changed.some(s => s.service === localization.origin) ||
      !localization.suspects.some(s => s.service === localization.origin))
  ) {
    return localization.origin;
  }
  const deepest = [...changed].sort(
    (a, b) =>
      b.hops - a.hops ||
      b.anomalyScore - a.anomalyScore ||
      (a.service < b.service ? -1 : 1),
  )[0];
  return deepest?.service ?? localization.origin ?? null;
}

/** The path from the alerted service to the origin, both included. */
function pathTo(
  localization: Localization,
  alerted: string,
  origin: string,
): string[] {
  const path = localization.path;
  if (path.length >= 2 && path[0] === alerted && path.at(-1) === origin) {
    return path;
  }
  return [alerted, origin];
}

function pathEdges(localization: Localization, path: string[]) {
  return path
    .slice(1)
    .flatMap((to, index) =>
      localization.edges.filter(e => e.from === path[index] && e.to === to),
    );
}

function describeSuspect(origin: string, suspect?: ServiceSuspect): string {
  if (!suspect) return `${origin} changed against the baseline`;
  const parts: string[] = [];
  if (
    suspect.selfTimeP95Ms !== null &&
    suspect.baselineSelfTimeP95Ms !== null
  ) {
    parts.push(
      `its own (self) time p95 went from ${ms(
        suspect.baselineSelfTimeP95Ms,
      )} to ${ms(suspect.selfTimeP95Ms)}`,
    );
  }
  if (suspect.originatingErrors > 0) {
    parts.push(
      `${suspect.originatingErrors} errors originate in it (${suspect.passedOnErrors} passed on from further down)`,
    );
  }
  parts.push(
    `its anomaly score against the baseline is ${
      Math.round(suspect.anomalyScore * 10) / 10
    }`,
  );
  return `${origin}: ${parts.join(', ')}`;
}

function lowerFirst(text: string): string {
  return text.length > 1 && /^[A-Z][a-z]/.test(text)
    ? `${text[0].toLowerCase()}${text.slice(1)}`
    : text;
}

/**
 * The kind of the origin's fault: its own best evidence when that is clear (>= 0.4), a specific
 * kind localization read from its evidence (a wait, saturation, a deploy, ...), else what its
 * numbers show: `latency` when its own time grew (x1.5 and +20 ms, baseline.ts), `errors` when
 * errors originate in it. Errors that are timeouts of slow calls still make it `latency`.
 */
function originKind(
  best: Candidate | undefined,
  suspect: ServiceSuspect | undefined,
): Candidate['kind'] {
  if (best && best.strength >= 0.4) return best.kind;
  if (suspect && !GENERIC_KINDS.has(suspect.kind)) return suspect.kind!;
  if (
    suspect &&
    suspect.selfTimeP95Ms !== null &&
    suspect.baselineSelfTimeP95Ms !== null &&
    suspect.selfTimeP95Ms >=
      MIN_LATENCY_GROWTH * suspect.baselineSelfTimeP95Ms &&
    suspect.selfTimeP95Ms - suspect.baselineSelfTimeP95Ms >=
      MIN_LATENCY_GROWTH_MS
  ) {
    return 'latency';
  }
  if (suspect && suspect.originatingErrors > 0) return 'errors';
  return suspect?.kind ?? best?.kind ?? 'unknown';
}
