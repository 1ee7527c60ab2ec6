import { ContextDocument } from '@ai-triage/plugin-ai-triage-common';
import { changeCandidates } from './changes';
import { dependencyCandidates } from './dependencies';
import { errorTemplateCandidates, failingOperationCandidates } from './errors';
import { resourceWaitCandidates } from './resourceWait';
import { saturationCandidates } from './saturation';
import { Candidate } from './scoring';

/**
 * The context as one service sees itself: its own operations, log templates, metric deltas and
 * changes, and the calls it makes (items without `service` are the alerted service's); alerts
 * belong to the alerted service.
 */
export function serviceView(
  context: ContextDocument,
  service: string,
): ContextDocument {
  const alerted = context.serviceName;
  const owns = (item: { service?: string }) =>
    (item.service ?? alerted) === service;
  return {
    ...context,
    serviceName: service,
    alerts: service === alerted ? context.alerts : [],
    operations: context.operations.filter(owns),
    dependencies: context.dependencies.filter(owns),
    logTemplates: context.logTemplates.filter(owns),
    metricDeltas: context.metricDeltas.filter(owns),
    changes: (context.changes ?? []).filter(c => c.service === service),
    criticalPaths: context.criticalPaths,
  };
}

/**
 * Every rule family over one service's view, in the order in which causes take the evidence
 * they account for: a change takes the errors that began after it; a resource wait takes the
 * wait's errors and the dependency it sits in front of; a dependency takes the logs that name
 * it; a resource takes the errors that name it; what is left makes error and failing-operation
 * hypotheses of its own. `explained` holds what earlier causes took, and grows.
 */
export function serviceCandidates(
  view: ContextDocument,
  explained: Set<string>,
): Candidate[] {
  const take = (candidates: Candidate[]) => {
    for (const candidate of candidates) {
      for (const id of candidate.explains ?? []) explained.add(id);
    }
    return candidates;
  };
  return [
    ...take(changeCandidates(view)),
    ...take(resourceWaitCandidates(view, explained)),
    ...take(dependencyCandidates(view, explained)),
    ...take(saturationCandidates(view, explained)),
    ...take(errorTemplateCandidates(view, explained)),
    ...failingOperationCandidates(view, explained),
  ];
}
