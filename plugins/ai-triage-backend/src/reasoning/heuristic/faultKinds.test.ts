import {
  ContextDocument,
  FaultKind,
  hypothesisSetSchema,
} from '@ai-triage/plugin-ai-triage-common';
import {
  testContext,
  testDependency,
  testFiringAlert,
  testOnset,
  testSuspect,
} from '../../__testUtils__/contexts';
import { kindOf } from '../../enrichment/faultKind';
import { HeuristicReasoner } from './HeuristicReasoner';
import { failureModeOf } from './network';

/*
 * The kind of a fault, from how it shows: the words of its errors as Node, Go, Java and OpenSSL
 * clients write them, and how many of its calls they end.
 */

describe('fault kinds', () => {
  const timedOut =
    'POST payment-provider:8443/v1/charges timed out after 2000 ms  Error';

  it('reads timeouts as the fault when most calls end in one, and as a slow callee when most are answered', () => {
    // The callee accepts connections and never answers: every call times out.
    expect(
      kindOf({
        timeChanged: true,
        errorsChanged: true,
        errorShare: 1,
        waitGrew: false,
        errorMessages: [timedOut],
      }),
    ).toBe('timeout');
    // The callee got slow: a few calls pass the caller's timeout, most are answered late.
    expect(
      kindOf({
        timeChanged: true,
        errorsChanged: true,
        errorShare: 0.18,
        waitGrew: false,
        errorMessages: [timedOut],
      }),
    ).toBe('latency');
    // Timeouts without a rise of its own time: the calls end at the timeout, so they are it.
    expect(
      kindOf({
        timeChanged: false,
        errorsChanged: true,
        errorShare: 0.2,
        waitGrew: false,
        errorMessages: [timedOut],
      }),
    ).toBe('timeout');
  });

  it.each([
    'self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
    'unable to verify the first certificate',
    "Hostname/IP does not match certificate's altnames: Host: pay.example. is not in the cert's altnames",
    'PKIX path building failed: unable to find valid certification path',
    'x509: certificate signed by unknown authority',
  ])('reads the TLS verification error "%s" as a network failure', text => {
    expect(
      failureModeOf([`charge failed at payment provider: ${text}`]),
    ).toMatchObject({ mode: 'tls', kind: 'network' });
  });

  /**
   * shipping's calls to carrier-api all fail; neither its logs nor its operations' errors name
   * carrier-api, and localization read carrier-api's own errors as `kind`.
   */
  function refusedCalls(kind: FaultKind): ContextDocument {
    return testContext({
      serviceName: 'shipping',
      alerts: [testFiringAlert('HighErrorRate')],
      onset: testOnset({ series: 'errors' }),
      dependencies: [
        testDependency('carrier-api', {
          callCount: 34,
          errorCount: 34,
          errorRate: 1,
          errorShare: 1,
          latencyShare: 0.1,
          p95Ms: 86,
          baselineCallCount: 60,
          baselineErrorCount: 0,
          baselineP95Ms: 160,
        }),
      ],
      localization: {
        origin: 'carrier-api',
        path: ['shipping', 'carrier-api'],
        suspects: [
          testSuspect('carrier-api', 1, {
            anomalyScore: 100,
            originatingErrors: 34,
            kind,
            changed: true,
          }),
          testSuspect('shipping', 0, { passedOnErrors: 34 }),
        ],
        edges: [
          {
            from: 'shipping',
            to: 'carrier-api',
            source: 'traces',
            callCount: 34,
            errorRate: 1,
            baselineErrorRate: 0,
            p95Ms: 86,
            baselineP95Ms: 160,
            changed: ['errors'],
          },
        ],
        maxDepth: 4,
        method: 'baro-mad+self-time',
      },
    });
  }

  it('takes the kind localization read from a failing dependency when the caller names no failure mode', async () => {
    const reasoner = new HeuristicReasoner();
    const refused = await reasoner.reason(refusedCalls('network'));
    expect(hypothesisSetSchema.parse(refused)).toEqual(refused);
    expect(refused.hypotheses[0]).toMatchObject({
      origin: 'carrier-api',
      kind: 'network',
    });
    // Localization saw only that its errors are its own: the calls fail, no more is known.
    const failing = await reasoner.reason(refusedCalls('errors'));
    expect(failing.hypotheses[0]).toMatchObject({
      origin: 'carrier-api',
      kind: 'errors',
    });
  });
});
