/**
 * Entity annotations that choose and tune telemetry providers per catalog entity.
 *
 * - `ai-triage.io/telemetry-providers`: comma-separated provider names (`embedded`, or the
 *   `name` of an entry in `aiTriage.telemetry.providers`); the entity gets exactly these.
 * - `ai-triage.io/prometheus-selector`: PromQL label matchers that select the entity's series,
 *   in place of `service_name="<service.name>"`, e.g. `job="shop/checkout",namespace="shop"`.
 * - `ai-triage.io/loki-selector`: a LogQL stream selector for the entity's logs, in place of
 *   `{service_name="<service.name>"}`, e.g. `{app="checkout",namespace="shop"}`.
 */
export const TELEMETRY_PROVIDERS_ANNOTATION =
  'ai-triage.io/telemetry-providers';
export const PROMETHEUS_SELECTOR_ANNOTATION =
  'ai-triage.io/prometheus-selector';
export const LOKI_SELECTOR_ANNOTATION = 'ai-triage.io/loki-selector';
