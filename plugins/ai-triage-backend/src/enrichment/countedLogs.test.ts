import { mockCredentials } from '@backstage/backend-test-utils';
import { IncidentDetailResponse } from '@ai-triage/plugin-ai-triage-common';
import request from 'supertest';
import { loadScenario } from '../__testUtils__/scenarios';
import { startAiTriageBackend, waitFor } from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';

jest.setTimeout(90_000);

const asService = mockCredentials.service.header();
const asUser = mockCredentials.user.header();
const MINUTE = 60_000;

type Log = {
  timeMs: number;
  severityNumber: number;
  body: string;
  traceId?: string;
};

function otlpLogs(logs: Log[]) {
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'service.name', value: { stringValue: 'checkout' } },
          ],
        },
        scopeLogs: [
          {
            logRecords: logs.map(log => ({
              timeUnixNano: `${BigInt(log.timeMs) * 1_000_000n}`,
              severityNumber: log.severityNumber,
              body: { stringValue: log.body },
              ...(log.traceId
                ? { traceId: log.traceId, spanId: '00f067aa0ba902b7' }
                : {}),
            })),
          },
        ],
      },
    ],
  };
}

/**
 * Log template counts of the embedded store come from the counts its OTLP receiver keeps as
 * logs arrive: exact however many records the window holds, while enrichment reads at most
 * `maxRecordsPerSignal` of them for samples and trace ids.
 */
describe('enrichment with the embedded store counting logs as they arrive', () => {
  const databases = createTestDatabases();

  it.each(databases.eachSupportedId())(
    'counts the templates of concurrently posted logs exactly, past maxRecordsPerSignal, %p',
    async databaseId => {
      const server = await startAiTriageBackend({
        knex: await databases.init(databaseId),
        entities: [],
        config: { aiTriage: { enrichment: { maxRecordsPerSignal: 100 } } },
      });

      const nowMs = Date.now();
      const startsAtMs = nowMs - 2 * MINUTE;
      // The incident window starts at the minute 15 minutes (the lookback) before the alert.
      const windowStartMs =
        Math.floor((startsAtMs - 15 * MINUTE) / MINUTE) * MINUTE;
      // 10 requests of 120 logs each, posted at once: 1,200 in the window, 12 times the cap.
      const requests = Array.from({ length: 10 }, (_request, r) =>
        Array.from({ length: 120 }, (_, i): Log => {
          const n = r * 120 + i;
          const timeMs = nowMs - 10 * MINUTE + n * 300;
          return n % 3 === 0
            ? {
                timeMs,
                severityNumber: 17,
                body: `payment ${n} failed: upstream timeout after ${
                  1000 + n
                } ms`,
                traceId: n.toString(16).padStart(32, '0'),
              }
            : {
                timeMs,
                severityNumber: 9,
                body: `cache miss for key user-${n}`,
              };
        }),
      );
      // And 300 steady cache misses in the baseline window before it.
      requests.push(
        Array.from({ length: 300 }, (_, i) => ({
          timeMs: windowStartMs - 5 * MINUTE + i * 100,
          severityNumber: 9,
          body: `cache miss for key user-${i}`,
        })),
      );
      const posted = await Promise.all(
        requests.map(logs =>
          request(server)
            .post('/api/ai-triage/otlp/v1/logs')
            .set('authorization', asService)
            .send(otlpLogs(logs)),
        ),
      );
      expect(posted.map(res => res.status)).toEqual(requests.map(() => 200));

      const { alert } = loadScenario('checkout-payments-latency', nowMs);
      const startsAt = new Date(startsAtMs).toISOString();
      const delivery = await request(server)
        .post('/api/ai-triage/webhooks/alertmanager')
        .set('authorization', asService)
        .send({
          ...alert,
          alerts: alert.alerts.map((a: object) => ({ ...a, startsAt })),
        });
      expect(delivery.status).toBe(202);
      const [incidentId] = delivery.body.incidentIds;

      const context = await waitFor(
        'the context document',
        async () => {
          const res = await request(server)
            .get(`/api/ai-triage/incidents/${incidentId}`)
            .set('authorization', asUser);
          return (res.body as IncidentDetailResponse).context ?? undefined;
        },
        60_000,
      );
      expect(Date.parse(context.window.from)).toBe(windowStartMs);

      const current = requests.slice(0, 10).flat();
      const payments = current.filter(log => log.traceId);
      expect(
        context.logTemplates.map(t => ({
          template: t.template,
          level: t.level,
          count: t.count,
          baselineCount: t.baselineCount,
          firstSeen: t.firstSeen,
          lastSeen: t.lastSeen,
        })),
      ).toEqual([
        {
          template: 'payment <*> failed: upstream timeout after <*> ms',
          level: 'ERROR',
          count: 400,
          baselineCount: 0,
          firstSeen: new Date(payments[0].timeMs).toISOString(),
          lastSeen: new Date(payments[399].timeMs).toISOString(),
        },
        {
          template: 'cache miss for key user-<*>',
          level: 'INFO',
          count: 800,
          baselineCount: 300,
          firstSeen: new Date(current[1].timeMs).toISOString(),
          lastSeen: new Date(current[1199].timeMs).toISOString(),
        },
      ]);
      expect(context.logCountsExact).toBe(true);
      expect(context.truncated).not.toContain('logs');
      // Samples come from the newest 100 records enrichment read; trace ids are the smallest of
      // those records' and of the counts' own (the first payment's, long before the sample).
      const [payment] = context.logTemplates;
      const paymentTraceIds = new Set(payments.map(log => log.traceId));
      expect(payment.traceIds).toHaveLength(3);
      expect(payment.traceIds![0]).toBe(payments[0].traceId);
      for (const traceId of payment.traceIds!) {
        expect(paymentTraceIds).toContain(traceId);
      }
      expect(payment.sample).toMatch(
        /^payment \d+ failed: upstream timeout after \d+ ms$/,
      );
    },
  );
});
