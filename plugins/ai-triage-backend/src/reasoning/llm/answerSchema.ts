import { z } from 'zod';
import {
  FAULT_KINDS,
  HypothesisSet,
  confidenceOf,
  hypothesisDraftSchema,
} from '@ai-triage/plugin-ai-triage-common';

/**
 * What the model must answer, derived from the shared `hypothesisDraftSchema`: every hypothesis
 * states its `probability` (0..1), its `kind` and its `origin` (null when it names none). The
 * `confidence` label is not asked for: it is derived from the probability by the fixed cut-offs
 * (groundHypotheses), so label and number never disagree. OpenAI's strict structured output
 * wants every field required, hence `origin` nullable rather than optional.
 */
const modelHypothesisSchema = hypothesisDraftSchema
  .omit({ confidence: true, probability: true, kind: true, origin: true })
  .extend({
    probability: z.number().min(0).max(1),
    kind: z.enum(FAULT_KINDS),
    origin: z.string().min(1).nullable(),
  });

export const modelAnswerSchema = z.object({
  hypotheses: z.array(modelHypothesisSchema).max(3),
  insufficientEvidence: z.boolean(),
});

export type ModelAnswer = z.infer<typeof modelAnswerSchema>;

/**
 * The model's answer in the shared shape: `confidence` derived from the probability (again
 * after the missing-baseline cap, when grounded), a null origin left out.
 */
export function toHypothesisSet(answer: ModelAnswer): HypothesisSet {
  return {
    insufficientEvidence: answer.insufficientEvidence,
    hypotheses: answer.hypotheses.map(({ origin, ...h }) => ({
      ...h,
      ...(origin === null ? {} : { origin }),
      confidence: confidenceOf(h.probability),
    })),
  };
}
