import {
  ContextDocument,
  FaultKind,
  LogTemplate,
} from '@ai-triage/plugin-ai-triage-common';
import {
  MIN_ERROR_COUNT,
  MIN_ERROR_RATE,
  MIN_TEMPLATE_SPIKE,
  notUnchanged,
  operationErrors,
  templateSpiked,
} from './baseline';
import { BAD_INPUT } from '../../enrichment/faultKind';
import { serviceOf } from './dependencies';
import { failureModeOf } from './network';
import { Candidate } from './scoring';
import {
  ERROR_LEVELS,
  clip,
  describeOperation,
  firingAlerts,
  literalPrefix,
  mentionIndex,
  mentions,
  percent,
  possessive,
  sentences,
  time,
} from './text';

function kindOf(text: string): FaultKind {
  return BAD_INPUT.test(text) ? 'bad-input' : 'errors';
}

/** The services this one calls: its dependencies and localization's edges from it. */
function calleesOf(context: ContextDocument): string[] {
  const own = context.serviceName;
  return [
    ...new Set([
      ...context.dependencies
        .filter(d => (d.service ?? own) === own)
        .map(d => serviceOf(context, d)),
      ...(context.localization?.edges ?? [])
        .filter(e => e.from === own)
        .map(e => e.to),
    ]),
  ];
}

/** Every service the context names: calls, localization's suspects and edges. */
function knownServices(context: ContextDocument): string[] {
  const localization = context.localization;
  return [
    ...new Set([
      ...calleesOf(context),
      ...(localization?.suspects ?? []).map(s => s.service),
      ...(localization?.edges ?? []).flatMap(e => [e.from, e.to]),
    ]),
  ];
}

/**
 * An error log template of the service that appeared or spiked.
 *
 * Evidence: the template (count, level, first and last seen, a sample) and the operations that
 * fail at the same time; operations failing with this very message are its symptom. When the
 * message names a service this one calls and how the call failed (timeout, refused, DNS, TLS,
 * 429: network.ts), the callee is the origin: the log is the caller's view of its failure, the
 * usual case when the caller's spans of those calls are not in the context yet. A wrapped
 * message names the chain of calls, caller first; the service named last is the deepest.
 *
 * Baseline comparison: at least twice as many records plus five as in the baseline (a new
 * template has 0 there), more than the windows' lengths explain (templateSpiked). Without a
 * baseline count the template may be as old as the service, and with a baseline too short to
 * show the rise it may be steady: `baselineMissing`.
 *
 * Strength: 0.4 from 5 records, 0.55 from 20, 0.7 from 100 (a template that repeats a hundred
 * times in minutes is rarely noise); +0.1 for FATAL, +0.1 when operations fail.
 */
export function errorTemplateCandidates(
  context: ContextDocument,
  explained: Set<string>,
): Candidate[] {
  const service = context.serviceName;
  const erroring = context.operations.filter(o => o.errorCount > 0);
  const callees = calleesOf(context);
  const services = knownServices(context);
  return context.logTemplates
    .filter(
      t =>
        ERROR_LEVELS.has(t.level) &&
        t.count >= MIN_TEMPLATE_SPIKE &&
        notUnchanged(templateSpiked(t, context)) &&
        !explained.has(t.id),
    )
    .map((template, index): Candidate => {
      let strength = 0.4;
      if (template.count >= 20) strength = 0.55;
      if (template.count >= 100) strength = 0.7;
      if (template.level === 'FATAL') strength += 0.1;
      if (erroring.length) strength += 0.1;
      const prefix = template.template.split('<*>')[0].trim().slice(0, 60);
      const text = `${template.template} ${template.sample}`;
      const failure = failureModeOf([template.sample || template.template]);
      // Wrapped error messages nest caller before callee ("POST checkout/orders answered 500:
      // POST shipping/quote timed out"): the service named last is the deepest. A name lookup
      // that failed is the failure of the service that looked the name up (its resolver, its
      // configured host name; the host never saw a request): only services named before the
      // failure count, and the host it names is not a callee.
      const message = template.sample || template.template;
      const failureAt =
        failure?.mode === 'dns'
          ? message.toLowerCase().indexOf(failure.excerpt.toLowerCase())
          : -1;
      const named = failure
        ? services
            .map(name => ({ name, at: mentionIndex(message, name) }))
            .filter(
              n =>
                n.at !== -1 &&
                n.name !== service &&
                (failureAt === -1 || n.at < failureAt),
            )
            .sort((a, b) => a.at - b.at)
            .map(n => n.name)
        : [];
      const callee =
        named.at(-1) ??
        (failure && failure.mode !== 'dns'
          ? callees.find(name => mentions(text, name))
          : undefined);
      const between = named.slice(0, -1).reverse();
      const count = `${template.count} times between ${time(
        template.firstSeen,
      )} and ${time(template.lastSeen)}`;
      return {
        strength: Math.min(1, strength),
        order: 100 + index,
        rule: 'errors',
        kind: callee || failure?.mode === 'dns' ? failure!.kind : kindOf(text),
        origin: callee ?? service,
        baselineMissing: baselineMissingOf(template, context),
        // The operations failing with this very error are its symptom.
        explains: context.operations
          .filter(
            o =>
              o.sampleError !== null &&
              prefix.length >= 12 &&
              o.sampleError.includes(prefix),
          )
          .map(o => o.id),
        hypothesis: {
          rootCause: callee
            ? `Calls from ${service}${
                between.length > 0
                  ? ` through ${[...between].reverse().join(' and ')}`
                  : ''
              } to ${callee} fail ("${clip(
                failure!.excerpt,
                80,
              )}"): ${service} logs "${clip(
                template.template,
                160,
              )}" (${count}).`
            : `${service} hits a recurring ${template.level.toLowerCase()}: "${clip(
                template.template,
                160,
              )}" (${count}).`,
          affectedComponents: [...between, service],
          reasoning: sentences(
            `The ${template.level} log template "${clip(
              template.template,
              160,
            )}" repeats ${
              template.count
            } times in the incident window${baselineNote(
              template,
            )}; a sample reads "${clip(template.sample, 200)}".`,
            erroring.length > 0 &&
              `Failing operations at the same time: ${erroring
                .slice(0, 3)
                .map(describeOperation)
                .join('; ')}.`,
          ),
          diagnosticSteps: [
            `Search ${possessive(
              service,
            )} logs for it, e.g. LogQL {service_name="${service}"} |= "${literalPrefix(
              template.template,
            )}", and read the full records around the first one at ${
              template.firstSeen
            }.`,
            `Look at what changed just before ${template.firstSeen}: deploys, config, feature flags, or the inputs it processes.`,
            `Follow the trace ids on these log records to the requests or messages that fail and the operation they belong to.`,
          ],
          evidenceIds: [
            template.id,
            ...erroring.slice(0, 2).map(o => o.id),
            ...firingAlerts(context),
          ],
        },
      };
    });
}

/** Why the template's rise is no evidence, when it is not (see templateSpiked). */
function baselineMissingOf(
  template: LogTemplate,
  context: ContextDocument,
): string | undefined {
  if (templateSpiked(template, context) !== 'unknown') return undefined;
  if (template.baselineCount === undefined) {
    return 'the template has no baseline count to show it is new or spiked';
  }
  return `the baseline window is too short to show the template is new or spiked (${template.count} records now, ${template.baselineCount} before)`;
}

function baselineNote(template: LogTemplate): string {
  if (template.baselineCount === 0) return ' and never in the baseline window';
  if (template.baselineCount !== undefined) {
    return ` (${template.baselineCount} in the baseline window)`;
  }
  return '';
}

/**
 * Operations of the service that fail, when no other cause explains them.
 *
 * Evidence: the operation's error count, rate and most frequent error message.
 *
 * Baseline comparison: its error rate doubled (+5 points) against the baseline; without baseline
 * spans it is `baselineMissing`.
 *
 * Strength: 0.2 + the error rate, at most 0.6: failing requests alone say where, not why.
 */
export function failingOperationCandidates(
  context: ContextDocument,
  explained: Set<string>,
): Candidate[] {
  const service = context.serviceName;
  return context.operations
    .filter(
      o =>
        o.errorCount >= MIN_ERROR_COUNT &&
        o.errorRate >= MIN_ERROR_RATE &&
        notUnchanged(operationErrors(o)) &&
        !explained.has(o.id),
    )
    .map(
      (operation, index): Candidate => ({
        strength: Math.min(0.6, 0.2 + operation.errorRate),
        order: 300 + index,
        rule: 'errors',
        kind: kindOf(operation.sampleError ?? ''),
        origin: service,
        baselineMissing:
          operationErrors(operation) === 'unknown'
            ? 'the operation has no baseline spans to compare its error rate with'
            : undefined,
        hypothesis: {
          rootCause: `Operation ${
            operation.operation
          } of ${service} fails: ${percent(
            operation.errorRate,
          )} of its requests end in an error${
            operation.sampleError
              ? ` ("${clip(operation.sampleError, 160)}")`
              : ''
          }.`,
          affectedComponents: [service],
          reasoning: `${describeOperation(
            operation,
          )}. No downstream dependency explains the errors, so the failure is likely inside ${service} or in its input.`,
          diagnosticSteps: [
            `Search the failing traces, e.g. TraceQL { resource.service.name = "${service}" && name = "${operation.operation}" && status = error }, and read their exceptions and events.`,
            `Check for a recent deploy or config change of ${service} (e.g. kubectl rollout history deployment/${service}).`,
            `Compare the failing requests with successful ones (route parameters, tenant, payload size) to find what they share.`,
          ],
          evidenceIds: [operation.id, ...firingAlerts(context)],
        },
      }),
    );
}
