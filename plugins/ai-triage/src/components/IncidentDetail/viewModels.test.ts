import {
  alert,
  detailResponse,
  hypothesis,
  localizedDetailResponse,
  localizedHypotheses,
  relatedIncidents,
} from '../../testUtils/fixtures';
import { headlineOf } from './headline';
import { serviceMapOf } from './serviceMap';
import { timelineOf } from './timeline';

describe('headlineOf', () => {
  it('names origin, kind and the caller it hurts, since the onset', () => {
    const headline = headlineOf(localizedDetailResponse())!;
    expect(headline.statement).toBe('carrier-api rate-limits shipping');
    expect(headline.since).toBe('2026-01-10T14:02:00.000Z');
    expect(headline.sinceSource).toBe('onset');
    expect(headline.probability).toBe(0.82);
  });

  it('takes the best-ranked hypothesis whatever the order', () => {
    const detail = localizedDetailResponse({
      hypotheses: [...localizedHypotheses].reverse(),
    });
    expect(headlineOf(detail)!.hypothesis.id).toBe('hyp-7');
  });

  it('falls back to the first alert, and to the root cause without an origin', () => {
    const headline = headlineOf(
      detailResponse({
        alerts: [
          { ...alert, id: 'a2', startsAt: '2026-01-10T10:03:00.000Z' },
          { ...alert, startsAt: '2026-01-10T09:59:00.000Z' },
        ],
      }),
    )!;
    expect(headline.statement).toBe(hypothesis.rootCause);
    expect(headline.since).toBe('2026-01-10T09:59:00.000Z');
    expect(headline.sinceSource).toBe('alert');
    expect(headline.probability).toBeNull();
  });

  it('quotes the first clause of a hypothesis that names no origin', () => {
    const headline = headlineOf(
      localizedDetailResponse({
        hypotheses: [
          {
            ...localizedHypotheses[0],
            origin: undefined,
            kind: undefined,
            rootCause:
              'Downstream dependency carrier-api is failing: 47% of calls fail',
          },
        ],
      }),
    )!;
    expect(headline.origin).toBeNull();
    expect(headline.statement).toBe(
      'Downstream dependency carrier-api is failing',
    );
  });

  it('is null without hypotheses', () => {
    expect(headlineOf(detailResponse({ hypotheses: [] }))).toBeNull();
  });
});

describe('serviceMapOf', () => {
  it('keeps the alerted service, the path and the group, not unchanged neighbours', () => {
    const map = serviceMapOf(localizedDetailResponse());
    expect(map.nodes.map(n => n.service).sort()).toEqual([
      'carrier-api',
      'checkout',
      'shipping',
      'storefront',
    ]);
    expect(map.nodes.find(n => n.isOrigin)?.service).toBe('carrier-api');
    expect(
      map.edges.filter(e => e.onPath).map(e => `${e.from}->${e.to}`),
    ).toEqual(['checkout->shipping', 'shipping->carrier-api']);
  });

  it('puts a member incident’s own service on the map beside its lead’s', () => {
    const map = serviceMapOf(
      localizedDetailResponse({
        incident: {
          ...relatedIncidents[1],
          faultGroupLead: false,
        },
        relatedIncidents: [],
      }),
    );
    const storefront = map.nodes.find(n => n.service === 'storefront')!;
    expect(storefront.roles).toEqual(['alerted']);
    expect(map.nodes.find(n => n.service === 'checkout')!.roles).toEqual([
      'path',
    ]);
    // storefront → checkout changed, so it is drawn.
    expect(map.edges.map(e => `${e.from}->${e.to}`)).toContain(
      'storefront->checkout',
    );
  });

  it('marks a dependency changed only against a baseline that had calls', () => {
    const detail = detailResponse();
    const dependency = detail.context!.dependencies[0];
    const withBaseline = serviceMapOf({
      ...detail,
      context: {
        ...detail.context!,
        dependencies: [
          {
            ...dependency,
            baselineCallCount: 1000,
            baselineErrorCount: 2,
            baselineP95Ms: 2000,
          },
        ],
      },
    });
    expect(withBaseline.source).toBe('dependencies');
    expect(withBaseline.edges[0].changed).toEqual(['errors']);
    // No baseline: nothing can be said to have changed.
    expect(serviceMapOf(detail).edges[0].changed).toEqual([]);
  });
});

describe('timelineOf', () => {
  it('spans baseline to window end, with the origin’s metrics before the alerted one’s', () => {
    const timeline = timelineOf(localizedDetailResponse())!;
    expect(new Date(timeline.range.from).toISOString()).toBe(
      '2026-01-10T13:32:00.000Z',
    );
    expect(new Date(timeline.range.to).toISOString()).toBe(
      '2026-01-10T14:17:00.000Z',
    );
    expect(timeline.services).toEqual(['carrier-api', 'checkout']);
    expect(timeline.series.map(s => s.service)).toEqual([
      'carrier-api',
      'checkout',
    ]);
    // The incident level holds from the onset, not from the window start.
    expect(new Date(timeline.series[0].currentSpan.from).toISOString()).toBe(
      '2026-01-10T14:02:00.000Z',
    );
  });

  it('is null before any context was collected', () => {
    expect(timelineOf(detailResponse({ context: null }))).toBeNull();
  });
});
