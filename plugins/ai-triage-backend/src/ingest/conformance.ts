import fs from 'node:fs';
import path from 'node:path';
import { ALERT_SOURCES, AlertSource } from '@ai-triage/plugin-ai-triage-common';
import { DEFAULT_INTAKE_LIMITS, checkIntakeLimits } from './IntakeLimits';
import { SOURCE_FORMATS, parseDelivery } from './parseDelivery';

/** What the intake makes of one file of a payload folder. */
type ConformanceResult =
  | {
      file: string;
      outcome: 'ok';
      source: AlertSource;
      alerts: number;
      truncatedAlerts: number;
    }
  | { file: string; outcome: 'rejected' | 'skipped'; reason: string };

/**
 * The sender a body's shape points to: PagerDuty events have `event_action`; Grafana adds
 * `orgId` (or sends version "1") to the Alertmanager shape; generic alerts carry a `title`,
 * which Alertmanager's and Grafana's alerts do not. Undefined when the shape says nothing.
 */
export function detectSource(body: unknown): AlertSource | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return undefined;
  }
  const b = body as Record<string, unknown>;
  if ('event_action' in b || 'routing_key' in b) {
    return 'pagerduty';
  }
  if (!Array.isArray(b.alerts)) {
    return undefined;
  }
  if ('orgId' in b || b.version === '1') {
    return 'grafana';
  }
  const first = b.alerts[0] as Record<string, unknown> | undefined;
  if (first && typeof first === 'object' && 'title' in first) {
    return 'generic';
  }
  return 'alertmanager';
}

/**
 * Runs one body through the real parser of its detected source, with the default intake
 * limits and without storing anything. A body of no detectable shape is tried with every parser.
 */
function checkPayload(
  file: string,
  text: string,
  now = new Date(),
): ConformanceResult {
  if (Buffer.byteLength(text) > DEFAULT_INTAKE_LIMITS.maxBodyBytes) {
    return {
      file,
      outcome: 'rejected',
      reason: `body over the limit of ${DEFAULT_INTAKE_LIMITS.maxBodyBytes} bytes`,
    };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return {
      file,
      outcome: 'rejected',
      reason: `not valid JSON: ${(error as Error).message}`,
    };
  }
  if (Array.isArray(body)) {
    return {
      file,
      outcome: 'skipped',
      reason:
        'a JSON array, not a webhook body (e.g. alerts posted to the Alertmanager API /api/v2/alerts)',
    };
  }
  const detected = detectSource(body);
  const reasons: string[] = [];
  for (const source of detected ? [detected] : ALERT_SOURCES) {
    try {
      const parsed = parseDelivery(source, body, now);
      checkIntakeLimits(
        parsed,
        DEFAULT_INTAKE_LIMITS,
        SOURCE_FORMATS[source].title,
      );
      return {
        file,
        outcome: 'ok',
        source,
        alerts: parsed.alerts.length + parsed.events.length,
        truncatedAlerts: parsed.truncatedAlerts,
      };
    } catch (error) {
      reasons.push((error as Error).message);
    }
  }
  return {
    file,
    outcome: 'rejected',
    reason: detected
      ? reasons[0]
      : `matches no sender's format: ${reasons.join(' | ')}`,
  };
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap(entry => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? filesUnder(full) : [full];
    })
    .sort();
}

/** Checks every file under `dir`: `.json` files through the parsers, others are skipped. */
export function checkPayloadFolder(dir: string): ConformanceResult[] {
  return filesUnder(dir).map(full => {
    const file = path.relative(dir, full);
    if (!file.toLowerCase().endsWith('.json')) {
      return {
        file,
        outcome: 'skipped' as const,
        reason: 'not a .json file',
      };
    }
    return checkPayload(file, fs.readFileSync(full, 'utf8'));
  });
}

/** One line per file and a closing count; the exit code is 1 when any JSON file was rejected. */
export function conformanceReport(results: ConformanceResult[]): {
  lines: string[];
  exitCode: number;
} {
  const lines = results.map(result => {
    if (result.outcome === 'ok') {
      const truncated = result.truncatedAlerts
        ? ` (${result.truncatedAlerts} more left out by the sender)`
        : '';
      return `OK        ${result.file}: ${result.source}, ${
        result.alerts
      } alert${result.alerts === 1 ? '' : 's'}${truncated}`;
    }
    return `${result.outcome.toUpperCase().padEnd(10)}${result.file}: ${
      result.reason
    }`;
  });
  const count = (outcome: ConformanceResult['outcome']) =>
    results.filter(r => r.outcome === outcome).length;
  lines.push(
    `conformance: ${count('ok')} accepted, ${count(
      'rejected',
    )} rejected, ${count('skipped')} skipped`,
  );
  return { lines, exitCode: count('rejected') > 0 ? 1 : 0 };
}
