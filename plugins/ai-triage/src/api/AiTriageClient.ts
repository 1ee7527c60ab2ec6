import { DiscoveryApi, FetchApi } from '@backstage/frontend-plugin-api';
import { ResponseError } from '@backstage/errors';
import {
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

/**
 * Talks to the AI triage backend plugin (`/api/ai-triage`) as the signed-in user.
 *
 * @public
 */
export class AiTriageClient implements AiTriageApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

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

  getIncident(incidentId: string): Promise<IncidentDetailResponse> {
    return this.request(`/incidents/${encodeURIComponent(incidentId)}`);
  }

  reviewHypothesis(
    incidentId: string,
    hypothesisId: string,
    request: ReviewRequest,
  ): Promise<Review> {
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
