import { hypothesisSetSchema, reviewRequestSchema } from './hypothesis';

describe('reviewRequestSchema', () => {
  it('accepts accept, modify with a root cause, and reject with a reason', () => {
    expect(reviewRequestSchema.parse({ decision: 'accepted' })).toEqual({
      decision: 'accepted',
    });
    expect(
      reviewRequestSchema.parse({
        decision: 'modified',
        modifiedRootCause: 'DB locks',
      }),
    ).toEqual({ decision: 'modified', modifiedRootCause: 'DB locks' });
    expect(
      reviewRequestSchema.parse({ decision: 'rejected', comment: 'no' })
        .comment,
    ).toBe('no');
  });

  it('requires the root cause exactly when modifying', () => {
    expect(
      reviewRequestSchema.safeParse({ decision: 'modified' }).error?.issues[0],
    ).toMatchObject({
      path: ['modifiedRootCause'],
      message: 'is required when decision is "modified"',
    });
    expect(
      reviewRequestSchema.safeParse({
        decision: 'accepted',
        modifiedRootCause: 'x',
      }).success,
    ).toBe(false);
  });

  it('rejects unknown decisions and unknown fields', () => {
    expect(reviewRequestSchema.safeParse({ decision: 'maybe' }).success).toBe(
      false,
    );
    expect(
      reviewRequestSchema.safeParse({ decision: 'accepted', admin: true })
        .success,
    ).toBe(false);
  });
});

describe('hypothesisSetSchema', () => {
  const hypothesis = {
    rootCause: 'payments slow',
    affectedComponents: ['checkout'],
    confidence: 'high',
    reasoning: 'r',
    diagnosticSteps: [],
    evidenceIds: ['dep:payments'],
  };

  it('allows at most three hypotheses, each citing evidence', () => {
    expect(
      hypothesisSetSchema.safeParse({
        hypotheses: [hypothesis],
        insufficientEvidence: false,
      }).success,
    ).toBe(true);
    expect(
      hypothesisSetSchema.safeParse({
        hypotheses: [hypothesis, hypothesis, hypothesis, hypothesis],
        insufficientEvidence: false,
      }).success,
    ).toBe(false);
    expect(
      hypothesisSetSchema.safeParse({
        hypotheses: [{ ...hypothesis, evidenceIds: [] }],
        insufficientEvidence: false,
      }).success,
    ).toBe(false);
  });
});
