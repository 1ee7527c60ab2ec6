import type { Alert, Incident } from './incident';
import type { ContextDocument } from './context';
import type { Hypothesis } from './hypothesis';

/** @public */
export type WebhookAcceptedResponse = {
  deliveryId: string;
  duplicate: boolean;
  incidentIds: string[];
};

/** @public */
export type IncidentListResponse = {
  items: Incident[];
};

/** @public */
export type StoredAlert = Alert & { id: string; receivedAt: string };

/** @public */
export type IncidentDetailResponse = {
  incident: Incident;
  alerts: StoredAlert[];
  context: ContextDocument | null;
  hypotheses: Hypothesis[];
  insufficientEvidence: boolean;
};
