import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
  Incident,
  IncidentDetailResponse,
  IncidentListQuery,
  IncidentListResponse,
  RetriageResponse,
  TriageQualityResponse,
  Review,
  ReviewRequest,
  SetIncidentStatusRequest,
  SetIncidentStatusResponse,
  TicketRef,
} from '@ai-triage/plugin-ai-triage-common';
import { AiTriageApi } from './AiTriageApi';
import { IncidentGroupListResponse, groupRowOf } from './groupIncidents';

/**
 * How long a feed row's detail is reused while its incident has not changed (reviews by others
 * change no incident field; they show within this time, one's own at once).
 */
const ROW_DETAIL_TTL_MS = 30_000;
/** Detail requests in flight at once while a feed page is completed. */
const DETAIL_CONCURRENCY = 4;

type CachedDetail = {
  /** The incident's triage state, last sighting and group when read: a change reads it again. */
  version: string;
  readAt: number;
  value: IncidentDetailResponse;
};

/** Query parameters without the unset ones. */
function queryString(query: Record<string, unknown>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') {
      params.set(key, String(value));
    }
  }
  return params;
}

/**
 * Talks to the AI triage backend plugin (`/api/ai-triage`) as the signed-in user.
 *
 * @public
 */
export class AiTriageClient implements AiTriageApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  private readonly rowDetails = new Map<string, CachedDetail>();

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  listIncidents(query: IncidentListQuery): Promise<IncidentListResponse> {
    return this.request(`/incidents?${queryString(query)}`);
  }

  /**
   * The feed's rows: the backend lists one incident per fault group (`groupBy=fault`); each
   * row's members and top hypothesis come from that incident's detail, read a few at a time and
   * reused for {@link ROW_DETAIL_TTL_MS} while the incident is unchanged.
   */
  async listIncidentGroups(
    query: IncidentListQuery,
  ): Promise<IncidentGroupListResponse> {
    const page = await this.request<IncidentListResponse>(
      `/incidents?${queryString({ ...query, groupBy: 'fault' })}`,
    );
    const details = await mapWithConcurrency(
      page.items,
      DETAIL_CONCURRENCY,
      incident => this.rowDetail(incident),
    );
    return {
      items: page.items.map((incident, i) => groupRowOf(incident, details[i])),
      totalCount: page.totalCount,
      offset: page.offset,
      limit: page.limit,
    };
  }

  /** The detail a feed row is completed from; null when there is nothing to add. */
  private async rowDetail(
    incident: Incident,
  ): Promise<IncidentDetailResponse | null> {
    if (incident.triageState !== 'triaged' && !incident.faultGroupId) {
      return null;
    }
    const version = [
      incident.triageState,
      incident.lastSeenAt,
      incident.faultGroupId,
      incident.faultGroupSize,
    ].join(':');
    const cached = this.rowDetails.get(incident.id);
    if (
      cached &&
      cached.version === version &&
      Date.now() - cached.readAt < ROW_DETAIL_TTL_MS
    ) {
      return cached.value;
    }
    try {
      const value = await this.getIncident(incident.id);
      this.rowDetails.set(incident.id, { version, readAt: Date.now(), value });
      return value;
    } catch {
      // The row still shows, without its hypothesis; the next poll tries again.
      return null;
    }
  }

  getIncident(incidentId: string): Promise<IncidentDetailResponse> {
    return this.request(`/incidents/${encodeURIComponent(incidentId)}`);
  }

  reviewHypothesis(
    incidentId: string,
    hypothesisId: string,
    request: ReviewRequest,
  ): Promise<Review> {
    this.rowDetails.clear();
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

  getQuality(range: {
    from?: string;
    to?: string;
  }): Promise<TriageQualityResponse> {
    const params = new URLSearchParams();
    if (range.from) params.set('from', range.from);
    if (range.to) params.set('to', range.to);
    return this.request(`/quality?${params}`);
  }

  retriageIncident(incidentId: string): Promise<RetriageResponse> {
    this.rowDetails.clear();
    return this.request(
      `/incidents/${encodeURIComponent(incidentId)}/retriage`,
      { method: 'POST' },
    );
  }

  setIncidentStatus(
    incidentId: string,
    request: SetIncidentStatusRequest,
  ): Promise<SetIncidentStatusResponse> {
    return this.request(`/incidents/${encodeURIComponent(incidentId)}/status`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
  }

  setIncidentTicket(
    incidentId: string,
    ticket: string | null,
  ): Promise<{ ticket: TicketRef | null }> {
    return this.request(`/incidents/${encodeURIComponent(incidentId)}/ticket`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ ticket }),
    });
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
