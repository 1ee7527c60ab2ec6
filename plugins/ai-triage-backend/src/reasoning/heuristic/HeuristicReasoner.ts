import {
  ContextDocument,
  HypothesisSet,
} from '@ai-triage/plugin-ai-triage-common';
import { Reasoner } from '@ai-triage/plugin-ai-triage-node';
import { originCandidates } from './origin';
import { rank } from './scoring';
import { serviceCandidates, serviceView } from './serviceView';

/**
 * The deterministic reasoner: ranks the anomalies in a context document into at most three
 * hypotheses, each citing the evidence it stands on, naming the service where the fault began
 * (`origin`), its `kind` and a `probability`.
 *
 * Rule families, one file each: the origin downstream from localization (origin.ts), recent
 * changes and deploys (changes.ts), waits for a resource inside the service (resourceWait.ts),
 * slow or failing dependencies (dependencies.ts) and how their calls fail (network.ts),
 * resources running out (saturation.ts), error templates and failing operations (errors.ts).
 * Evidence a cause accounts for strengthens it instead of making a new hypothesis. Only what
 * changed against the baseline counts (baseline.ts); scoring.ts turns evidence strengths into
 * probabilities and caps those that rest on no baseline. No network, no randomness: the same
 * document always gives the same answer. It is the default reasoner and the LLM's fallback.
 */
export class HeuristicReasoner implements Reasoner {
  readonly name = 'heuristic';

  async reason(context: ContextDocument): Promise<HypothesisSet> {
    const origin = originCandidates(context);
    const explained = new Set(origin.flatMap(c => c.explains ?? []));
    const own = serviceCandidates(
      serviceView(context, context.serviceName),
      explained,
    );
    return rank([...origin, ...own], context);
  }
}
