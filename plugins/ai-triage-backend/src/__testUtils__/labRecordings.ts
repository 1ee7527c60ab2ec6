import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  Hypothesis,
  Incident,
  IncidentDetailResponse,
  IncidentListResponse,
  StoredAlert,
} from '@ai-triage/plugin-ai-triage-common';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import type { QueueStats } from '../queue/JobQueue';

/*
 * Recordings of the lab (examples/lab): what the really instrumented shop sent during one fault,
 * replayed through a running backend's real HTTP endpoints. Shared by the replay test and
 * `npm run bench:scenarios`.
 */

const repoRoot = path.resolve(
  resolvePackagePath('@ai-triage/plugin-ai-triage-backend'),
  '../..',
);
export const labRecordingsDir = path.join(repoRoot, 'examples/lab/recordings');

const labTopologySchema = z.record(z.string(), z.array(z.string()));

/**
 * The services a fault at `origin` can reach: the origin and every service that calls it,
 * directly or not, in the lab's call graph (examples/lab/topology.json, the graph the lab's
 * services are written to; the truth's first alert and hops are measured on it too).
 */
export function labReachOf(
  origin: string,
  topologyFile = path.join(repoRoot, 'examples/lab/topology.json'),
): Set<string> {
  const calls = labTopologySchema.parse(
    JSON.parse(fs.readFileSync(topologyFile, 'utf8')),
  );
  const reach = new Set([origin]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [caller, callees] of Object.entries(calls)) {
      if (!reach.has(caller) && callees.some(c => reach.has(c))) {
        reach.add(caller);
        grew = true;
      }
    }
  }
  return reach;
}

export const LAB_RECORDING_FORMAT = 'ai-triage-lab-recording';
export const LAB_RECORDING_VERSION = 1;

const recordingSchema = z.object({
  format: z.literal(LAB_RECORDING_FORMAT),
  version: z.literal(LAB_RECORDING_VERSION),
  scenario: z.string().min(1),
  description: z.string(),
  truth: z.object({
    fault: z.boolean(),
    origin: z.string().nullable(),
    kind: z.string().nullable(),
    firstAlertingService: z.string().nullable(),
    hops: z.number().int().nullable(),
    evidence: z.array(z.string()),
  }),
  recordedAt: z.string(),
  timeline: z.object({
    faultAt: z.number(),
    end: z.number(),
    healthyMs: z.number(),
    faultMs: z.number(),
  }),
  versions: z.record(z.string(), z.string().nullable()),
  requests: z
    .array(
      z.object({
        at: z.number(),
        path: z
          .string()
          .regex(
            /^\/api\/ai-triage\/(otlp\/v1\/(traces|metrics|logs)|webhooks\/[a-z]+)$/,
          ),
        body: z.record(z.string(), z.unknown()),
      }),
    )
    .min(1),
});

/** One lab recording (examples/lab/lib/runner.mjs writes them). */
export type LabRecording = z.infer<typeof recordingSchema> & { file: string };

/** The recording files, sorted by name. */
export function listLabRecordings(dir = labRecordingsDir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter(name => name.endsWith('.json.gz'))
    .sort()
    .map(name => path.join(dir, name));
}

/** Reads and validates a recording; throws an error naming the file when it cannot be used. */
export function loadLabRecording(file: string): LabRecording {
  let raw: unknown;
  try {
    raw = JSON.parse(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'));
  } catch (error) {
    throw new Error(
      `Lab recording ${file} cannot be read: ${(error as Error).message}`,
    );
  }
  const parsed = recordingSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(
      `Lab recording ${file} is not a ${LAB_RECORDING_FORMAT} v${LAB_RECORDING_VERSION}: ${issue.path.join(
        '.',
      )}: ${issue.message}`,
    );
  }
  return { ...parsed.data, file };
}

const NANO_KEYS = new Set([
  'timeUnixNano',
  'startTimeUnixNano',
  'endTimeUnixNano',
  'observedTimeUnixNano',
]);
const ISO_KEYS = new Set(['startsAt', 'endsAt']);

/**
 * A copy of `value` with every OTLP unix-nano timestamp and every alert `startsAt`/`endsAt`
 * moved by `shiftMs` (Alertmanager's zero time, 0001-01-01, stays as it is).
 */
export function shiftTimestamps<T>(value: T, shiftMs: number): T {
  const shiftNs = BigInt(Math.round(shiftMs)) * 1_000_000n;
  const walk = (node: unknown, key?: string): unknown => {
    if (Array.isArray(node)) return node.map(item => walk(item));
    if (node && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node).map(([k, v]) => [k, walk(v, k)]),
      );
    }
    if (key && NANO_KEYS.has(key)) {
      if (typeof node === 'string' && /^\d+$/.test(node) && node !== '0')
        return (BigInt(node) + shiftNs).toString();
      if (typeof node === 'number' && node > 0)
        return (BigInt(Math.round(node)) + shiftNs).toString();
    }
    if (key && ISO_KEYS.has(key) && typeof node === 'string') {
      const ms = Date.parse(node);
      if (Number.isFinite(ms) && ms > 0)
        return new Date(ms + shiftMs).toISOString();
    }
    return node;
  };
  return walk(value) as T;
}

/**
 * When the fault was injected (epoch ms) in a replay that moved every timestamp by `shiftMs`:
 * `timeline.faultAt` counts from `recordedAt`, like every request's `at`. A no-fault recording
 * has one too (the end of its healthy period).
 */
export function faultAtMsOf(recording: LabRecording, shiftMs: number): number {
  return (
    Date.parse(recording.recordedAt) + recording.timeline.faultAt + shiftMs
  );
}

/** How many spans, log records and metric data points a recording's OTLP bodies carry. */
export function countRecordedTelemetry(recording: LabRecording) {
  const counts = { spans: 0, logs: 0, dataPoints: 0, webhooks: 0 };
  for (const { path: p, body } of recording.requests) {
    const b = body as any;
    if (p.endsWith('/traces'))
      for (const rs of b.resourceSpans ?? [])
        for (const ss of rs.scopeSpans ?? [])
          counts.spans += ss.spans?.length ?? 0;
    else if (p.endsWith('/logs'))
      for (const rl of b.resourceLogs ?? [])
        for (const sl of rl.scopeLogs ?? [])
          counts.logs += sl.logRecords?.length ?? 0;
    else if (p.endsWith('/metrics'))
      for (const rm of b.resourceMetrics ?? [])
        for (const sm of rm.scopeMetrics ?? [])
          for (const m of sm.metrics ?? [])
            counts.dataPoints +=
              (
                m.gauge ??
                m.sum ??
                m.histogram ??
                m.exponentialHistogram ??
                m.summary
              )?.dataPoints?.length ?? 0;
    else counts.webhooks += 1;
  }
  return counts;
}

/** What an incident showed at one moment: its (or its group lead's) hypotheses. */
export type ShownTriage = {
  hypotheses: Hypothesis[];
  insufficientEvidence: boolean;
};

/**
 * An incident the replay raised, with its triage as the API returns it once the pipeline is
 * idle (the settled answer, after every re-triage the arriving evidence and group changes
 * caused), and the first answer it showed.
 */
export type ReplayedIncident = ShownTriage & {
  incident: Incident;
  /**
   * Its alerts as the API returns them at the end: the last state each alert's webhooks gave
   * (status, startsAt, endsAt; endsAt null while firing), timestamps shifted like the rest.
   */
  alerts: Array<
    Pick<StoredAlert, 'fingerprint' | 'name' | 'status' | 'startsAt' | 'endsAt'>
  >;
  /** The first triage it showed (when first seen triaged), null if it never settled before the end. */
  first: ShownTriage | null;
  /** When the webhook that first named the incident was posted (epoch ms). */
  alertPostedAtMs: number;
  /** When its first triage was seen finished (epoch ms; polled every 25 ms), or null. */
  hypothesesAtMs: number | null;
};

export type LabReplay = {
  recording: LabRecording;
  incidents: ReplayedIncident[];
  sent: ReturnType<typeof countRecordedTelemetry>;
  /** The shift applied to every timestamp (ms): the recording ends at the replay's start. */
  shiftMs: number;
  /** Where the recording's end was moved to (epoch ms): the replay's start. */
  endsAtMs: number;
  /** Where `timeline.faultAt` (when the fault was injected) was moved to (epoch ms). */
  faultAtMs: number;
  /**
   * Wall time spent posting, waiting for triage after webhooks, and waiting after the last
   * request until no triage job was queued or running (re-triages included) (ms).
   */
  timings: { postingMs: number; waitingMs: number; settlingMs: number };
  /** Triage jobs the replay caused: `enrich` jobs (automatic re-triages among them) and `reason` jobs. */
  jobs: { enrich: number; autoRetriages: number; reason: number };
};

type ReplayTarget = {
  /** Base URL of a backend, e.g. http://127.0.0.1:7007 */
  baseUrl: string;
  /** Authorization header for the OTLP and webhook routes (an external-access token). */
  serviceAuthorization: string;
  /** Authorization header for reading incidents (a user). */
  userAuthorization: string;
  /** How long to wait for every incident's triage, and for the pipeline to be idle (default 60 s). */
  timeoutMs?: number;
  /** Counts the triage jobs of the backend's queue (read from its database). */
  countJobs?: () => Promise<LabReplay['jobs']>;
};

async function getJson<T>(url: string, authorization: string): Promise<T> {
  const res = await fetch(url, { headers: { authorization } });
  if (!res.ok)
    throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

const SETTLED = new Set(['triaged', 'failed']);

/**
 * Replays a recording through a backend's HTTP endpoints: every body in recorded order, with
 * its timestamps shifted so the recording ends now, OTLP to `/otlp/v1/*` and webhooks to
 * `/webhooks/alertmanager`. After each webhook it waits until the incidents it named are triaged
 * (as the live run triaged them before later telemetry arrived), then waits for every incident.
 * Throws, naming the file, when an endpoint refuses a request or an incident stays untriaged.
 */
export async function replayLabRecording(
  recording: LabRecording,
  target: ReplayTarget,
): Promise<LabReplay> {
  const timeoutMs = target.timeoutMs ?? 60_000;
  // The recording ends with its last request (services flush after the load stops).
  const endMs = Math.max(
    recording.timeline.end,
    ...recording.requests.map(r => r.at),
  );
  const endsAtMs = Date.now();
  const shiftMs = endsAtMs - (Date.parse(recording.recordedAt) + endMs);
  const firstPostedAt = new Map<string, number>();
  const firstSettledAt = new Map<string, number>();
  const firstShown = new Map<string, ShownTriage>();
  const timings = { postingMs: 0, waitingMs: 0, settlingMs: 0 };
  const fail = (message: string): never => {
    throw new Error(
      `Replay of ${path.basename(recording.file)} failed: ${message}`,
    );
  };

  const waitSettled = async (ids: string[]) => {
    const started = Date.now();
    const deadline = started + timeoutMs;
    for (const id of ids) {
      for (;;) {
        const detail = await getJson<IncidentDetailResponse>(
          `${target.baseUrl}/api/ai-triage/incidents/${id}`,
          target.userAuthorization,
        );
        if (SETTLED.has(detail.incident.triageState)) {
          if (!firstSettledAt.has(id)) {
            firstSettledAt.set(id, Date.now());
            firstShown.set(id, {
              hypotheses: detail.hypotheses,
              insufficientEvidence: detail.insufficientEvidence,
            });
          }
          break;
        }
        if (Date.now() > deadline)
          fail(
            `incident ${id} still ${detail.incident.triageState} after ${timeoutMs} ms`,
          );
        await new Promise(resolve => setTimeout(resolve, 25));
      }
    }
    timings.waitingMs += Date.now() - started;
  };

  for (const request of recording.requests) {
    const body = shiftTimestamps(request.body, shiftMs);
    const postedAt = Date.now();
    const res = await fetch(`${target.baseUrl}${request.path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: target.serviceAuthorization,
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    timings.postingMs += Date.now() - postedAt;
    if (res.status >= 300)
      fail(
        `POST ${request.path} (recorded at +${request.at} ms) answered ${
          res.status
        }: ${text.slice(0, 300)}`,
      );
    if (request.path.includes('/webhooks/')) {
      const ids: string[] = JSON.parse(text).incidentIds ?? [];
      for (const id of ids)
        if (!firstPostedAt.has(id)) firstPostedAt.set(id, postedAt);
      await waitSettled(ids);
    }
  }

  // Settle: re-triages (evidence that arrived after a triage lacked it, groups that changed)
  // run after their debounce delay; the answer scored is the one shown once none is left.
  const settleStarted = Date.now();
  const firstList = await getJson<IncidentListResponse>(
    `${target.baseUrl}/api/ai-triage/incidents?limit=100`,
    target.userAuthorization,
  );
  await waitSettled(firstList.items.map(i => i.id));
  await waitIdle(target, timeoutMs, fail);
  const list = await getJson<IncidentListResponse>(
    `${target.baseUrl}/api/ai-triage/incidents?limit=100`,
    target.userAuthorization,
  );
  await waitSettled(list.items.map(i => i.id));
  timings.settlingMs = Date.now() - settleStarted;
  const incidents: ReplayedIncident[] = [];
  for (const item of list.items) {
    const detail = await getJson<IncidentDetailResponse>(
      `${target.baseUrl}/api/ai-triage/incidents/${item.id}`,
      target.userAuthorization,
    );
    incidents.push({
      incident: detail.incident,
      alerts: detail.alerts.map(a => ({
        fingerprint: a.fingerprint,
        name: a.name,
        status: a.status,
        startsAt: a.startsAt,
        endsAt: a.endsAt,
      })),
      hypotheses: detail.hypotheses,
      insufficientEvidence: detail.insufficientEvidence,
      first: firstShown.get(item.id) ?? null,
      alertPostedAtMs:
        firstPostedAt.get(item.id) ?? Date.parse(item.firstSeenAt),
      hypothesesAtMs:
        detail.hypotheses.length || detail.insufficientEvidence
          ? firstSettledAt.get(item.id) ?? null
          : null,
    });
  }
  incidents.sort((a, b) => a.alertPostedAtMs - b.alertPostedAtMs);
  return {
    recording,
    incidents,
    sent: countRecordedTelemetry(recording),
    shiftMs,
    endsAtMs,
    faultAtMs: faultAtMsOf(recording, shiftMs),
    timings,
    jobs: (await target.countJobs?.()) ?? {
      enrich: 0,
      autoRetriages: 0,
      reason: 0,
    },
  };
}

/**
 * Waits until no `enrich` or `reason` job is queued (delayed ones included) or running: the
 * pipeline has nothing left to change about the incidents.
 */
async function waitIdle(
  target: ReplayTarget,
  timeoutMs: number,
  fail: (message: string) => never,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await getJson<QueueStats>(
      `${target.baseUrl}/api/ai-triage/jobs/stats`,
      target.userAuthorization,
    );
    const busy = stats.counts.filter(
      c =>
        (c.type === 'enrich' || c.type === 'reason') &&
        (c.status === 'queued' || c.status === 'running') &&
        c.count > 0,
    );
    if (busy.length === 0) return;
    if (Date.now() > deadline)
      fail(
        `the pipeline was still busy after ${timeoutMs} ms: ${busy
          .map(c => `${c.count} ${c.type} ${c.status}`)
          .join(', ')}`,
      );
    await new Promise(resolve => setTimeout(resolve, 100));
  }
}

/**
 * The example catalog (examples/entities.yaml and examples/lab/entities.yaml) as the catalog
 * would serve it: with the relations (ownedBy, partOf, dependsOn/dependencyOf, providesApi,
 * consumesApi) its processors add.
 */
export function loadExampleCatalog(): Entity[] {
  const files = ['examples/entities.yaml', 'examples/lab/entities.yaml'];
  const entities: Entity[] = files.flatMap(file =>
    parseAllDocuments(fs.readFileSync(path.join(repoRoot, file), 'utf8'))
      .map(doc => doc.toJS() as Entity | null)
      .filter((e): e is Entity => Boolean(e?.kind)),
  );
  const ref = (kind: string, value: string) =>
    value.includes(':') ? value : `${kind}:default/${value}`;
  const byRef = new Map<string, Entity>();
  for (const entity of entities) {
    entity.metadata.namespace ??= 'default';
    entity.relations = [];
    byRef.set(stringifyEntityRef(entity), entity);
  }
  const relate = (from: string, type: string, to: string, reverse: string) => {
    byRef.get(from)?.relations!.push({ type, targetRef: to });
    byRef.get(to)?.relations!.push({ type: reverse, targetRef: from });
  };
  for (const entity of entities) {
    const self = stringifyEntityRef(entity);
    const spec = (entity.spec ?? {}) as Record<string, any>;
    if (spec.owner)
      relate(self, 'ownedBy', ref('group', spec.owner), 'ownerOf');
    if (spec.system)
      relate(self, 'partOf', ref('system', spec.system), 'hasPart');
    for (const dep of spec.dependsOn ?? [])
      relate(self, 'dependsOn', ref('component', dep), 'dependencyOf');
    for (const api of spec.providesApis ?? [])
      relate(self, 'providesApi', ref('api', api), 'apiProvidedBy');
    for (const api of spec.consumesApis ?? [])
      relate(self, 'consumesApi', ref('api', api), 'apiConsumedBy');
  }
  return entities;
}
