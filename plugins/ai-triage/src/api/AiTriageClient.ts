import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  IncidentDetailResponse,
  IncidentListQuery,
  IncidentListResponse,
  RetriageResponse,
  Review,
  ReviewRequest,
} from '@ai-triage/plugin-ai-triage-common';
import { AiTriageApi } from './AiTriageApi';
import {
  IncidentGroupListResponse,
  TopHypothesisSummary,
  groupIncidents,
  topHypothesisOf,
} from './groupIncidents';

/** How long a lead's top hypothesis is reused while the lead itself has not changed. */
const TOP_HYPOTHESIS_TTL_MS = 30_000;
/** Detail requests in flight at once while a feed page is summarized. */
const DETAIL_CONCURRENCY = 4;

type CachedTopHypothesis = {
  /** The lead's triage state and last sighting when it was read: a change reads it again. */
  version: string;
  readAt: number;
  value: TopHypothesisSummary | null;
};

/**
 * Talks to the AI triage backend plugin (`/api/ai-triage`) as the signed-in user.
 *
 * @public
 */
export class AiTriageClient implements AiTriageApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  private readonly topHypotheses = new Map<string, CachedTopHypothesis>();

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  listIncidents(query: IncidentListQuery): Promise<IncidentListResponse> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') {
        params.set(key, String(value));
      }
    }
    return this.request(`/incidents?${params}`);
  }

  /**
   * The feed's rows. The backend's own grouped listing is being built; until then the page of
   * incidents is grouped here by `faultGroupId`, and each row's top hypothesis comes from its
   * lead's detail, read a few at a time and reused for {@link TOP_HYPOTHESIS_TTL_MS} while the
   * lead is unchanged. Groups are formed per page: a group whose incidents span pages shows
   * on each of them.
   */
  async listIncidentGroups(
    query: IncidentListQuery,
  ): Promise<IncidentGroupListResponse> {
    const page = await this.listIncidents(query);
    const groups = groupIncidents(page.items);
    const tops = await mapWithConcurrency(groups, DETAIL_CONCURRENCY, group =>
      this.topHypothesis(group.lead),
    );
    return {
      items: groups.map((group, i) => ({ ...group, topHypothesis: tops[i] })),
      totalCount: page.totalCount,
      offset: page.offset,
      limit: page.limit,
    };
  }

  private async topHypothesis(
    lead: IncidentListResponse['items'][number],
  ): Promise<TopHypothesisSummary | null> {
    if (lead.triageState !== 'triaged') {
      return null;
    }
    const version = `${lead.triageState}:${lead.lastSeenAt}`;
    const cached = this.topHypotheses.get(lead.id);
    if (
      cached &&
      cached.version === version &&
      Date.now() - cached.readAt < TOP_HYPOTHESIS_TTL_MS
    ) {
      return cached.value;
    }
    let value: TopHypothesisSummary | null;
    try {
      value = topHypothesisOf(await this.getIncident(lead.id));
    } catch {
      // The row still shows without its hypothesis; the next poll tries again.
      return null;
    }
    this.topHypotheses.set(lead.id, { version, readAt: Date.now(), value });
    return value;
  }

  getIncident(incidentId: string): Promise<IncidentDetailResponse> {
    return this.request(`/incidents/${encodeURIComponent(incidentId)}`);
  }

  reviewHypothesis(
    incidentId: string,
    hypothesisId: string,
    request: ReviewRequest,
  ): Promise<Review> {
    this.topHypotheses.delete(incidentId);
    return this.request(
      `/incidents/${encodeURIComponent(
        incidentId,
      )}/hypotheses/${encodeURIComponent(hypothesisId)}/reviews`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(request),
      },
    );
  }

  retriageIncident(incidentId: string): Promise<RetriageResponse> {
    this.topHypotheses.delete(incidentId);
    return this.request(
      `/incidents/${encodeURIComponent(incidentId)}/retriage`,
      { method: 'POST' },
    );
  }

  private async request<T>(path: string, init?: RequestInit): Promise<T> {
    const baseUrl = await this.discoveryApi.getBaseUrl('ai-triage');
    const response = await this.fetchApi.fetch(`${baseUrl}${path}`, init);
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return (await response.json()) as T;
  }
}

/** `fn` over `items` with at most `limit` calls running at once, results in input order. */
async function mapWithConcurrency<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  return results;
}
