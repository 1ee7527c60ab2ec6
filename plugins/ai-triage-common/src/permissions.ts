import { createPermission } from '@backstage/plugin-permission-common';

/**
 * The resource type of incidents: a policy can make reading, reviewing and re-triaging an
 * incident conditional on it (for example on owning the incident's catalog entity).
 *
 * @public
 */
export const AI_TRIAGE_INCIDENT_RESOURCE_TYPE = 'ai-triage-incident';

/**
 * Read incidents, their context documents and hypotheses.
 *
 * @public
 */
export const aiTriageIncidentReadPermission = createPermission({
  name: 'ai-triage.incident.read',
  attributes: { action: 'read' },
  resourceType: AI_TRIAGE_INCIDENT_RESOURCE_TYPE,
});

/**
 * Accept, modify or reject a hypothesis.
 *
 * @public
 */
export const aiTriageHypothesisReviewPermission = createPermission({
  name: 'ai-triage.hypothesis.review',
  attributes: { action: 'update' },
  resourceType: AI_TRIAGE_INCIDENT_RESOURCE_TYPE,
});

/**
 * Acknowledge, resolve or reopen an incident, and set its ticket reference.
 *
 * @public
 */
export const aiTriageIncidentStatusPermission = createPermission({
  name: 'ai-triage.incident.status',
  attributes: { action: 'update' },
  resourceType: AI_TRIAGE_INCIDENT_RESOURCE_TYPE,
});

/**
 * Read the triage quality report: review rates and calibration aggregated over all incidents
 * (no incident's content). Not conditional on an incident, since it spans them all.
 *
 * @public
 */
export const aiTriageQualityReadPermission = createPermission({
  name: 'ai-triage.quality.read',
  attributes: { action: 'read' },
});

/** @public */
export const aiTriagePermissions = [
  aiTriageIncidentReadPermission,
  aiTriageQualityReadPermission,
  aiTriageHypothesisReviewPermission,
  aiTriageIncidentStatusPermission,
];
