import { mockCredentials } from '@backstage/backend-test-utils';
import { createHash } from 'node:crypto';
import { Server } from 'node:http';
import request from 'supertest';

const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;

type OtlpSpan = {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: Array<{ key: string; value: { stringValue: string } }>;
  status: { code: number; message?: string };
};

/**
 * OTLP/JSON traces of requests down a chain of services (`chain[0]` calls `chain[1]`, ... ),
 * one request every 5 s: a server span per service and a client span (with `peer.service`) per
 * call, as the OpenTelemetry SDKs export them. For `healthyMinutes` every service answers in a
 * few milliseconds; then, for the last `faultMinutes` before `nowMs`, the last service of the
 * chain is faulty: its own work takes `faultMs` more and fails, and every caller passes the
 * failure on.
 */
export function callChainTraces(
  chain: string[],
  options: {
    nowMs: number;
    healthyMinutes?: number;
    faultMinutes?: number;
    faultMs?: number;
  },
): object {
  const {
    nowMs,
    healthyMinutes = 8,
    faultMinutes = 3,
    faultMs = 800,
  } = options;
  const faultFromMs = nowMs - faultMinutes * 60_000;
  const spansByService = new Map<string, OtlpSpan[]>(
    chain.map(service => [service, []]),
  );
  const nano = (ms: number) => `${Math.round(ms)}000000`;
  let n = 0;
  for (
    let t = faultFromMs - healthyMinutes * 60_000;
    t < nowMs - 1_000;
    t += 5_000
  ) {
    n += 1;
    const faulty = t >= faultFromMs;
    const seq = n;
    // Ids of the chain's own and of the request's time: two chains from one service, or the
    // same chain sent again for later minutes, are other traces (the same minutes, the same).
    const digest = (text: string) =>
      createHash('sha256')
        .update(`${chain.join('>')}|${t}|${text}`)
        .digest('hex');
    const traceId = digest('trace').slice(0, 32);
    const id = (k: number, which: string) =>
      digest(`${k}:${which}`).slice(0, 16);
    let parent: string | undefined;
    chain.forEach((service, depth) => {
      const below = chain.length - 1 - depth;
      const durationMs = (faulty ? faultMs : 3 + (seq % 3)) + below * 5 + 2;
      const start = t + depth * 2;
      const serverId = id(depth, 's');
      spansByService.get(service)!.push({
        traceId,
        spanId: serverId,
        ...(parent ? { parentSpanId: parent } : {}),
        name: `GET /${service}`,
        kind: SPAN_KIND_SERVER,
        startTimeUnixNano: nano(start),
        endTimeUnixNano: nano(start + durationMs),
        attributes: [],
        status: faulty
          ? { code: 2, message: `${chain[chain.length - 1]} failed` }
          : { code: 1 },
      });
      if (depth < chain.length - 1) {
        const clientId = id(depth, 'c');
        spansByService.get(service)!.push({
          traceId,
          spanId: clientId,
          parentSpanId: serverId,
          name: `GET ${chain[depth + 1]}`,
          kind: SPAN_KIND_CLIENT,
          startTimeUnixNano: nano(start + 1),
          endTimeUnixNano: nano(start + 1 + durationMs - 2),
          attributes: [
            { key: 'peer.service', value: { stringValue: chain[depth + 1] } },
          ],
          status: { code: faulty ? 2 : 0 },
        });
        parent = clientId;
      }
    });
  }
  return {
    resourceSpans: chain.map(service => ({
      resource: {
        attributes: [{ key: 'service.name', value: { stringValue: service } }],
      },
      scopeSpans: [
        { scope: { name: 'test' }, spans: spansByService.get(service) },
      ],
    })),
  };
}

/** Sends OTLP/JSON traces to the plugin's receiver, as an instrumented service's exporter does. */
export async function sendTraces(server: Server, traces: object) {
  const res = await request(server)
    .post('/api/ai-triage/otlp/v1/traces')
    .set('authorization', mockCredentials.service.header())
    .send(traces);
  expect(res.status).toBe(200);
}

/**
 * One Alertmanager webhook firing one alert per service (an alert storm), each alert started
 * `startedAgoMs` ago. Returns the incident id of each service.
 */
export async function sendAlertStorm(
  server: Server,
  services: string[],
  options: { alertname?: string; startedAgoMs?: number } = {},
): Promise<Record<string, string>> {
  const { alertname = 'HighErrorRate', startedAgoMs = 60_000 } = options;
  const res = await request(server)
    .post('/api/ai-triage/webhooks/alertmanager')
    .set('authorization', mockCredentials.service.header())
    .send({
      version: '4',
      status: 'firing',
      receiver: 'ai-triage',
      groupKey: `{}:{alertname="${alertname}",services="${services.join(
        ',',
      )}"}`,
      alerts: services.map(service => ({
        status: 'firing',
        labels: { alertname, service },
        annotations: { summary: `${service}: error rate above 5%` },
        startsAt: new Date(Date.now() - startedAgoMs).toISOString(),
        fingerprint: `${alertname}-${service}`,
      })),
    });
  expect(res.status).toBe(202);
  const byService: Record<string, string> = {};
  for (const id of res.body.incidentIds as string[]) {
    const detail = await request(server)
      .get(`/api/ai-triage/incidents/${id}`)
      .set('authorization', mockCredentials.user.header());
    byService[detail.body.incident.serviceName] = id;
  }
  return byService;
}
