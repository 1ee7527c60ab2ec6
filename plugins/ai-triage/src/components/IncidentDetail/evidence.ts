import {
  ChangeEvent,
  ContextDocument,
  CriticalPath,
  DependencySummary,
  LogTemplate,
  MetricDelta,
  OperationSummary,
} from '@ai-triage/plugin-ai-triage-common';

/** One piece of the context a hypothesis cites, found by its evidence id. */
export type CitedEvidence =
  | { type: 'alert'; id: string; item: ContextDocument['alerts'][number] }
  | { type: 'operation'; id: string; item: OperationSummary }
  | { type: 'dependency'; id: string; item: DependencySummary }
  | { type: 'log'; id: string; item: LogTemplate }
  | { type: 'metric'; id: string; item: MetricDelta }
  | { type: 'critical-path'; id: string; item: CriticalPath }
  | { type: 'change'; id: string; item: ChangeEvent }
  | { type: 'missing'; id: string };

/**
 * The context items behind `evidenceIds`, in the order cited; an id the context does not hold
 * comes back as `missing`, so the view can say so instead of hiding it.
 *
 * @internal
 */
export function citedEvidenceOf(
  context: ContextDocument | null,
  evidenceIds: string[],
): CitedEvidence[] {
  const byId = new Map<string, CitedEvidence>();
  if (context) {
    const add = <T extends { id: string }>(
      type: Exclude<CitedEvidence['type'], 'missing'>,
      items: T[] | undefined,
    ) => {
      for (const item of items ?? []) {
        byId.set(item.id, {
          type,
          id: item.id,
          item,
        } as unknown as CitedEvidence);
      }
    };
    add('alert', context.alerts);
    add('operation', context.operations);
    add('dependency', context.dependencies);
    add('log', context.logTemplates);
    add('metric', context.metricDeltas);
    add('critical-path', context.criticalPaths);
    add('change', context.changes);
  }
  return evidenceIds.map(id => byId.get(id) ?? { type: 'missing', id });
}

/** A metric with its attributes in PromQL-like form: `name{key="value"}`. */
export function metricName(delta: MetricDelta): string {
  const attributes = Object.entries(delta.attributes)
    .map(([key, value]) => `${key}="${value}"`)
    .join(', ');
  return attributes ? `${delta.metric}{${attributes}}` : delta.metric;
}
