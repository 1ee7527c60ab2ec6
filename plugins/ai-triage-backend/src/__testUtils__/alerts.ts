import { Alert } from '@ai-triage/plugin-ai-triage-common';
import { IngestAlert } from '../database/IncidentStore';
import { correlationKey } from '../ingest/correlationKey';

/** A canonical firing alert for store tests; override what the test is about. */
export function testAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    source: 'alertmanager',
    fingerprint: 'fp-1',
    name: 'CheckoutHighLatency',
    status: 'firing',
    severity: 'warning',
    startsAt: '2026-11-24T10:00:00.000Z',
    endsAt: null,
    labels: { alertname: 'CheckoutHighLatency', service: 'checkout' },
    annotations: { summary: 'p99 latency above 1s' },
    generatorURL: null,
    resource: { 'service.name': 'checkout', 'k8s.namespace.name': 'shop' },
    ...overrides,
  };
}

export function ingestItem(
  alert: Alert,
  entityRef: string | null = null,
): IngestAlert {
  return { alert, correlationKey: correlationKey(alert), entityRef };
}
