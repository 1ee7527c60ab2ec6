import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Read incidents, their context documents and hypotheses.
 *
 * @public
 */
export const aiTriageIncidentReadPermission = createPermission({
  name: 'ai-triage.incident.read',
  attributes: { action: 'read' },
});

/**
 * Accept, modify or reject a hypothesis.
 *
 * @public
 */
export const aiTriageHypothesisReviewPermission = createPermission({
  name: 'ai-triage.hypothesis.review',
  attributes: { action: 'update' },
});

/**
 * Acknowledge, resolve or reopen an incident, and set its ticket reference.
 *
 * @public
 */
export const aiTriageIncidentStatusPermission = createPermission({
  name: 'ai-triage.incident.status',
  attributes: { action: 'update' },
});

/** @public */
export const aiTriagePermissions = [
  aiTriageIncidentReadPermission,
  aiTriageHypothesisReviewPermission,
  aiTriageIncidentStatusPermission,
];
