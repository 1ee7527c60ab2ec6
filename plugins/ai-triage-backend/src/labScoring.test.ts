import { Hypothesis, Incident } from '@ai-triage/plugin-ai-triage-common';
import {
  LabRecording,
  LabReplay,
  ReplayedIncident,
  faultAtMsOf,
  labReachOf,
  shiftTimestamps,
} from './__testUtils__/labRecordings';
import {
  beforeFault,
  scoreReplay,
  summarize,
} from './__testUtils__/labScoring';

/*
 * Which incidents of a fault recording are scored against the fault: small synthetic replays
 * (no backend), so the rule is checked on its edges. Replaying real recordings is
 * labRecordings.test.ts' job.
 */

const RECORDED_AT = '2026-12-06T22:00:00.000Z';
const FAULT_AT = 120_000;
/** The replay moved every timestamp by an hour. */
const SHIFT_MS = 3_600_000;

function recording(fault: boolean): LabRecording {
  return {
    file: `${fault ? 'carrier-slow' : 'nofault-noisy-alert'}.json.gz`,
    format: 'ai-triage-lab-recording',
    version: 1,
    scenario: fault ? 'carrier-slow' : 'nofault-noisy-alert',
    description: '',
    truth: {
      fault,
      origin: fault ? 'carrier-api' : null,
      kind: fault ? 'latency' : null,
      firstAlertingService: fault ? 'shipping' : null,
      hops: fault ? 1 : null,
      evidence: [],
    },
    recordedAt: RECORDED_AT,
    timeline: {
      faultAt: FAULT_AT,
      end: 210_000,
      healthyMs: 120_000,
      faultMs: 90_000,
    },
    versions: {},
    requests: [],
  };
}

/** An alert as Alertmanager sent it (`at` ms after the recording began), shifted like the replay shifts it. */
function alert(startsAtMs: number, endsAtMs: number | null) {
  const iso = (ms: number) =>
    new Date(Date.parse(RECORDED_AT) + ms).toISOString();
  const sent = shiftTimestamps(
    {
      startsAt: iso(startsAtMs),
      endsAt: endsAtMs === null ? '0001-01-01T00:00:00Z' : iso(endsAtMs),
    },
    SHIFT_MS,
  );
  return {
    fingerprint: `fp-${startsAtMs}`,
    name: 'HighLatencyP99',
    status: endsAtMs === null ? ('firing' as const) : ('resolved' as const),
    startsAt: sent.startsAt,
    // What the intake stores for Alertmanager's zero time.
    endsAt: endsAtMs === null ? null : sent.endsAt,
  };
}

function hypothesis(origin: string, probability: number): Hypothesis {
  return {
    id: `h-${origin}`,
    rank: 1,
    reasoner: 'heuristic',
    createdAt: RECORDED_AT,
    review: null,
    rootCause: `${origin} is slow`,
    affectedComponents: [origin],
    origin,
    kind: 'latency',
    confidence: probability >= 0.7 ? 'high' : 'medium',
    probability,
    reasoning: '',
    diagnosticSteps: [],
    evidenceIds: ['e1'],
  };
}

function incident(
  service: string,
  alerts: ReplayedIncident['alerts'],
  hypotheses: Hypothesis[],
): ReplayedIncident {
  const triage = { hypotheses, insufficientEvidence: hypotheses.length === 0 };
  return {
    incident: {
      id: `incident-${service}`,
      serviceName: service,
      faultGroupId: null,
    } as Incident,
    alerts,
    ...triage,
    first: triage,
    alertPostedAtMs: 0,
    hypothesesAtMs: 100,
  };
}

function replay(fault: boolean, incidents: ReplayedIncident[]): LabReplay {
  const rec = recording(fault);
  return {
    recording: rec,
    incidents,
    sent: { spans: 0, logs: 0, dataPoints: 0, webhooks: 0 },
    shiftMs: SHIFT_MS,
    endsAtMs: Date.parse(RECORDED_AT) + 210_000 + SHIFT_MS,
    faultAtMs: faultAtMsOf(rec, SHIFT_MS),
    timings: { postingMs: 0, waitingMs: 0, settlingMs: 0 },
    jobs: { enrich: 0, autoRetriages: 0, reason: 0 },
  };
}

describe('lab scoring around the fault', () => {
  const faultAtMs = faultAtMsOf(recording(true), SHIFT_MS);

  it('moves the fault like every other timestamp of the replay', () => {
    expect(new Date(faultAtMs).toISOString()).toBe('2026-12-06T23:02:00.000Z');
  });

  it('puts an incident before the fault only when every alert resolved before it began', () => {
    // Warm-up: fired at +10 s, resolved at +40 s.
    expect(beforeFault({ alerts: [alert(10_000, 40_000)] }, faultAtMs)).toBe(
      true,
    );
    // Started before, still firing when the fault began (never resolved, or resolved after).
    expect(beforeFault({ alerts: [alert(100_000, null)] }, faultAtMs)).toBe(
      false,
    );
    expect(beforeFault({ alerts: [alert(100_000, 150_000)] }, faultAtMs)).toBe(
      false,
    );
    // Resolved exactly when the fault began: it was still firing then.
    expect(beforeFault({ alerts: [alert(100_000, FAULT_AT)] }, faultAtMs)).toBe(
      false,
    );
    // Started after the fault.
    expect(beforeFault({ alerts: [alert(130_000, 180_000)] }, faultAtMs)).toBe(
      false,
    );
    // One alert of the fault is enough, whatever the others did before it.
    expect(
      beforeFault(
        { alerts: [alert(10_000, 40_000), alert(130_000, null)] },
        faultAtMs,
      ),
    ).toBe(false);
    // Without alerts nothing shows it ended before: it stays the fault's.
    expect(beforeFault({ alerts: [] }, faultAtMs)).toBe(false);
    // The same alert with its recorded, unshifted end lies an hour before the moved fault:
    // alert times and faultAt must be shifted alike.
    const unshiftedEnd = new Date(Date.parse(RECORDED_AT) + 180_000);
    expect(
      beforeFault(
        {
          alerts: [
            { ...alert(130_000, 180_000), endsAt: unshiftedEnd.toISOString() },
          ],
        },
        faultAtMs,
      ),
    ).toBe(true);
  });

  it("reaches a fault's origin and every service calling it, directly or not", () => {
    expect([...labReachOf('carrier-api')].sort()).toEqual([
      'carrier-api',
      'checkout',
      'shipping',
      'storefront',
    ]);
    expect([...labReachOf('orders-db')].sort()).toEqual([
      'checkout',
      'fulfillment',
      'inventory',
      'orders-db',
      'storefront',
    ]);
    // A consumer is called by nobody: a poison message reaches no caller.
    expect([...labReachOf('fulfillment')]).toEqual(['fulfillment']);
  });

  it('scores incidents before the fault, and of services it cannot reach, as no-fault incidents, each in its own row, and keeps every incident', () => {
    const faulty = scoreReplay(
      replay(true, [
        // Before the fault, naming the fault's origin with high probability: not a hit.
        incident(
          'storefront',
          [alert(10_000, 40_000)],
          [hypothesis('carrier-api', 0.8)],
        ),
        // Before the fault, abstaining.
        incident('payments', [alert(100_000, 115_000)], []),
        // Started before, still firing into the fault.
        incident(
          'checkout',
          [alert(100_000, null)],
          [hypothesis('carrier-api', 0.7)],
        ),
        // Raised after the fault began, wrong origin.
        incident(
          'shipping',
          [alert(130_000, 180_000)],
          [hypothesis('shipping', 0.6)],
        ),
        // Raised during the fault on a service that does not call carrier-api (inventory calls
        // only orders-db), naming the fault's origin: not a hit.
        incident(
          'inventory',
          [alert(140_000, null)],
          [hypothesis('carrier-api', 0.5)],
        ),
      ]),
    );
    expect(
      faulty.incidents.map(i => [
        i.service,
        i.beforeFault,
        i.unreached,
        i.top1,
      ]),
    ).toEqual([
      ['storefront', true, false, false],
      ['payments', true, false, false],
      ['checkout', false, false, true],
      ['shipping', false, false, false],
      ['inventory', false, true, false],
    ]);
    expect(faulty.incidents.map(i => i.alertsFromMs)).toEqual([
      -110_000, -20_000, -20_000, 10_000, 20_000,
    ]);
    expect(faulty.incidents[0].kindMatch).toBe(false);
    expect(faulty.incidents[0].abstained).toBe(false);
    expect(faulty.incidents[4].kindMatch).toBe(false);
    expect(faulty.groups).toBe(5);
    expect(faulty.faultGroups).toBe(2);
    // Before the fault, or where it cannot reach, there is no origin to name: a probability of
    // 0.8 costs 0.64.
    expect(faulty.brierTerms).toEqual([
      expect.closeTo(0.64),
      expect.closeTo(0.09),
      expect.closeTo(0.36),
      expect.closeTo(0.25),
    ]);

    const quiet = scoreReplay(
      replay(false, [
        // A no-fault recording's incidents are no-fault incidents wherever their alerts lie.
        incident('inventory', [alert(130_000, null)], []),
      ]),
    );
    expect(quiet.incidents[0].beforeFault).toBe(false);

    const summary = summarize([faulty, quiet]);
    expect(summary).toMatchObject({
      incidents: 6,
      faultIncidents: 2,
      top1: 1,
      firstTop1: 1,
      top3: 1,
      kindMatch: 2,
      beforeFaultIncidents: 2,
      alertedBeforeFault: 1,
      beforeFaultAbstentions: 1,
      firstBeforeFaultAbstentions: 1,
      unreachedIncidents: 1,
      unreachedAbstentions: 0,
      firstUnreachedAbstentions: 0,
      noFaultIncidents: 1,
      abstentions: 1,
      groups: 2,
      allGroups: 5,
      faults: 1,
    });
    expect(
      summary.faultIncidents +
        summary.beforeFaultIncidents +
        summary.unreachedIncidents +
        summary.noFaultIncidents,
    ).toBe(summary.incidents);
  });

  it('counts an incident of an old report without the classification as raised by the fault', () => {
    const faulty = scoreReplay(
      replay(true, [
        incident(
          'shipping',
          [alert(130_000, null)],
          [hypothesis('carrier-api', 0.9)],
        ),
      ]),
    );
    const {
      beforeFault: _before,
      unreached: _unreached,
      ...old
    } = faulty.incidents[0];
    const summary = summarize([
      { ...faulty, faultGroups: undefined, incidents: [old] },
    ]);
    expect(summary).toMatchObject({
      faultIncidents: 1,
      beforeFaultIncidents: 0,
      unreachedIncidents: 0,
      top1: 1,
      groups: 1,
    });
  });
});
