import { thirdPartyData } from '@internal/fixtures';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  checkPayloadFolder,
  conformanceReport,
  detectSource,
} from './conformance';
import { webhookPayloads } from '../__testUtils__/webhookPayloads';

/** Real senders' payloads, kept outside the repository (see packages/fixtures). */
const fixtures = thirdPartyData(['alertmanager/']);

describe('conformance', () => {
  fixtures.it(
    'accepts every webhook body of the real senders and explains each file it skips',
    () => {
      const results = checkPayloadFolder(fixtures.path('alertmanager'));
      const byFile = Object.fromEntries(
        results.map(r => [
          r.file,
          r.outcome === 'ok'
            ? `${r.source} ${r.alerts}+${r.truncatedAlerts}`
            : `${r.outcome}: ${r.reason}`,
        ]),
      );
      expect(byFile).toMatchObject({
        'captured-alertmanager-0.25.0/01-firing-crashlooping-5-alerts.json':
          'alertmanager 5+0',
        'captured-alertmanager-0.25.0/02-firing-crashlooping-max_alerts2-truncated3.json':
          'alertmanager 2+3',
        'captured-alertmanager-0.25.0/input-alerts-posted-to-api-v2.json':
          expect.stringMatching(/^skipped: a JSON array, not a webhook body/),
        'captured-alertmanager-0.25.0/alertmanager.yml':
          'skipped: not a .json file',
        'grafana-unified-alerting/zulip-alert-9-multiple.json': 'grafana 3+0',
        'pagerduty-events-v2/enqueue-trigger-example.json': 'pagerduty 1+0',
        'prometheus_bot/simpe.json': 'alertmanager 1+0',
        'prometheus_bot/production_example.json': 'alertmanager 11+0',
        'prometheus-msteams/large_prom_post_request.json': 'alertmanager 19+0',
      });
      const jsonObjects = results.filter(
        r => r.file.endsWith('.json') && r.outcome !== 'skipped',
      );
      expect(jsonObjects.length).toBeGreaterThanOrEqual(18);
      expect(jsonObjects.filter(r => r.outcome !== 'ok')).toEqual([]);
      expect(conformanceReport(results).exitCode).toBe(0);
    },
  );

  it('detects each sender from the shape of our own payloads', () => {
    for (const [source, build] of Object.entries(webhookPayloads)) {
      expect({ source, detected: detectSource(build()) }).toEqual({
        source,
        detected: source,
      });
    }
    expect(detectSource([])).toBeUndefined();
    expect(detectSource({ hello: 1 })).toBeUndefined();
  });

  it('reports bad files with their reason, recursing into folders, and fails the run', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'conformance-'));
    try {
      fs.mkdirSync(path.join(dir, 'nested'));
      const write = (file: string, content: unknown) =>
        fs.writeFileSync(
          path.join(dir, file),
          typeof content === 'string' ? content : JSON.stringify(content),
        );
      write('nested/good.json', webhookPayloads.generic());
      write('broken.json', '{"alerts": [');
      write('unknown.json', { hello: 'world' });
      const alertmanager = webhookPayloads.alertmanager();
      write('bad-timestamp.json', {
        ...alertmanager,
        alerts: [{ ...alertmanager.alerts[0], startsAt: 'x' }],
      });
      write('notes.txt', 'hello');
      const { lines, exitCode } = conformanceReport(checkPayloadFolder(dir));
      expect(lines).toEqual([
        'REJECTED  bad-timestamp.json: Invalid Alertmanager webhook: alerts[0].startsAt: must be an RFC 3339 timestamp',
        expect.stringMatching(/^REJECTED {2}broken\.json: not valid JSON: /),
        'OK        nested/good.json: generic, 1 alert',
        'SKIPPED   notes.txt: not a .json file',
        expect.stringMatching(
          /^REJECTED {2}unknown\.json: matches no sender's format: Invalid Alertmanager webhook: .* \| Invalid generic webhook: alerts: Required$/,
        ),
        'conformance: 1 accepted, 3 rejected, 1 skipped',
      ]);
      expect(exitCode).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
