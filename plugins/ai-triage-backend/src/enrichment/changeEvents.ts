import { ChangeEvent } from '@ai-triage/plugin-ai-triage-common';
import { TelemetryAttributes } from '@ai-triage/plugin-ai-triage-node';
import { compareText } from './stats';

/** A record that may carry its resource's `service.version` and `service.instance.id`. */
type Stamped = {
  serviceName: string;
  timeMs: number;
  attributes: TelemetryAttributes;
};

/** Longest version or instance id kept in a change event. */
const MAX_VALUE_LENGTH = 100;

/**
 * Deploys and restarts read from the resource attributes the records carry (see
 * RECORD_RESOURCE_ATTRIBUTES): a service whose records show a new `service.version` after an
 * older one was deployed when the new version's first record arrived (`deploy`, from the old to
 * the new version); a new `service.instance.id` with the same version is a `restart`. Ids are
 * `change:<kind>:<service>:<new value>`, stable across incidents; oldest first.
 */
export function changeEvents(records: Stamped[]): ChangeEvent[] {
  const byService = new Map<string, Stamped[]>();
  for (const record of records) {
    const list = byService.get(record.serviceName);
    if (list) list.push(record);
    else byService.set(record.serviceName, [record]);
  }
  const events: ChangeEvent[] = [];
  for (const [service, list] of byService) {
    const firstSeen = (key: string) => {
      const seen = new Map<string, [number, number]>();
      for (const record of list) {
        const value = record.attributes[key];
        if (value === undefined || value === '') continue;
        const text = String(value).slice(0, MAX_VALUE_LENGTH);
        const [first, last] = seen.get(text) ?? [record.timeMs, record.timeMs];
        seen.set(text, [
          Math.min(first, record.timeMs),
          Math.max(last, record.timeMs),
        ]);
      }
      return [...seen]
        .map(([value, [first, last]]) => [value, first, last] as const)
        .sort((a, b) => a[1] - b[1] || compareText(a[0], b[0]));
    };
    const versions = firstSeen('service.version');
    for (let i = 1; i < versions.length; i++) {
      const [to, at] = versions[i];
      const from = versions[i - 1][0];
      events.push({
        id: `change:deploy:${service}:${to}`,
        service,
        kind: 'deploy',
        at: new Date(at).toISOString(),
        from,
        to,
        summary: `${service} ${from} → ${to}: its records carry a new service.version from ${new Date(
          at,
        ).toISOString()}`,
      });
    }
    if (versions.length <= 1) {
      const instances = firstSeen('service.instance.id');
      for (let i = 1; i < instances.length; i++) {
        const [to, at] = instances[i];
        // Replicas run side by side; a restart is an instance that follows one that stopped.
        if (instances[i - 1][2] > at) continue;
        events.push({
          id: `change:restart:${service}:${to}`,
          service,
          kind: 'restart',
          at: new Date(at).toISOString(),
          from: instances[i - 1][0],
          to,
          summary: `${service} restarted: a new service.instance.id from ${new Date(
            at,
          ).toISOString()}`,
        });
      }
    }
  }
  return events.sort(
    (a, b) => compareText(a.at, b.at) || compareText(a.id, b.id),
  );
}
