import { z } from 'zod';
import {
  ALERT_SOURCES,
  INCIDENT_STATUSES,
  SEVERITIES,
  TRIAGE_STATES,
} from '../constants';

/**
 * OpenTelemetry resource attributes an alert names, under their semantic-convention keys.
 *
 * @public
 */
export const alertResourceSchema = z.object({
  'service.name': z.string().min(1),
  'service.namespace': z.string().optional(),
  'deployment.environment': z.string().optional(),
  'k8s.namespace.name': z.string().optional(),
  'k8s.cluster.name': z.string().optional(),
});

/**
 * An alert in canonical form, whatever sent it.
 *
 * @public
 */
export const alertSchema = z.object({
  source: z.enum(ALERT_SOURCES),
  fingerprint: z.string().min(1),
  name: z.string().min(1),
  status: z.enum(['firing', 'resolved']),
  severity: z.enum(SEVERITIES),
  startsAt: z.string(),
  endsAt: z.string().nullable(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  generatorURL: z.string().nullable(),
  resource: alertResourceSchema,
});

/** @public */
export type Alert = z.infer<typeof alertSchema>;

/** @public */
export const incidentSchema = z.object({
  id: z.string(),
  correlationKey: z.string(),
  title: z.string(),
  entityRef: z.string().nullable(),
  serviceName: z.string(),
  namespace: z.string().nullable(),
  cluster: z.string().nullable(),
  severity: z.enum(SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  triageState: z.enum(TRIAGE_STATES),
  firstSeenAt: z.string(),
  lastSeenAt: z.string(),
  alertCount: z.number().int(),
  /** The fault group localization put it in, if any (see `FaultGroup`). */
  faultGroupId: z.string().nullable().optional(),
  /** The probable origin service of its fault, once localized. */
  probableOrigin: z.string().nullable().optional(),
  /** Whether it leads its fault group (its triage is the group's). */
  faultGroupLead: z.boolean().optional(),
  /**
   * How many incidents its fault group holds, itself included (0: in no group), so a feed row
   * of a group (`GET /incidents?groupBy=fault`) can say how many incidents it stands for.
   */
  faultGroupSize: z.number().int().optional(),
});

/** @public */
export type Incident = z.infer<typeof incidentSchema>;
