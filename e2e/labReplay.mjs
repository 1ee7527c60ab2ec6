// Replays a lab recording (examples/lab/recordings/*.json.gz) into a running backend for the
// end-to-end test, the way plugins/ai-triage-backend/src/__testUtils__/labRecordings.ts does for
// the backend's replay test: every recorded OTLP and webhook body in order, timestamps shifted so
// the recording ends now, and after each webhook a wait until the incidents it named are triaged
// (as in the live run, where triage finished before later telemetry arrived); at the end, a wait
// until the automatic re-triages have run.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const NANO_KEYS = new Set([
  'timeUnixNano',
  'startTimeUnixNano',
  'endTimeUnixNano',
  'observedTimeUnixNano',
]);
const ISO_KEYS = new Set(['startsAt', 'endsAt']);
const SETTLED = new Set(['triaged', 'failed']);

/** A copy of `value` with OTLP nanos and alert times moved by `shiftMs` (zero time kept). */
function shift(value, shiftMs, key) {
  if (Array.isArray(value)) return value.map(item => shift(item, shiftMs));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, shift(v, shiftMs, k)]),
    );
  }
  if (key && NANO_KEYS.has(key)) {
    const shiftNs = BigInt(Math.round(shiftMs)) * 1_000_000n;
    if (typeof value === 'string' && /^\d+$/.test(value) && value !== '0')
      return (BigInt(value) + shiftNs).toString();
    if (typeof value === 'number' && value > 0)
      return (BigInt(Math.round(value)) + shiftNs).toString();
  }
  if (key && ISO_KEYS.has(key) && typeof value === 'string') {
    const ms = Date.parse(value);
    if (Number.isFinite(ms) && ms > 0)
      return new Date(ms + shiftMs).toISOString();
  }
  return value;
}

/** Reads a recording and checks it is one. */
export function loadRecording(file) {
  const recording = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'));
  if (recording.format !== 'ai-triage-lab-recording') {
    throw new Error(`${file} is not a lab recording`);
  }
  return recording;
}

/**
 * Posts the recording to `baseUrl` with the external-access `token`, reading incidents as the
 * user of `userToken`. Returns the ids of the incidents its alerts raised, in order.
 */
export async function replayRecording(recording, options) {
  const { baseUrl, token, userToken, timeoutMs = 120_000 } = options;
  const shiftMs =
    Date.now() - (Date.parse(recording.recordedAt) + recording.timeline.end);
  const raised = [];
  const waitTriaged = async ids => {
    const deadline = Date.now() + timeoutMs;
    for (const id of ids) {
      for (;;) {
        const res = await fetch(`${baseUrl}/api/ai-triage/incidents/${id}`, {
          headers: { authorization: `Bearer ${userToken}` },
        });
        if (!res.ok) {
          throw new Error(`GET incident ${id}: HTTP ${res.status}`);
        }
        const detail = await res.json();
        if (SETTLED.has(detail.incident.triageState)) break;
        if (Date.now() > deadline) {
          throw new Error(
            `incident ${id} still ${detail.incident.triageState} after ${timeoutMs} ms`,
          );
        }
        await new Promise(resolve => setTimeout(resolve, 100));
      }
    }
  };
  for (const request of recording.requests) {
    const res = await fetch(`${baseUrl}${request.path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify(shift(request.body, shiftMs)),
    });
    const text = await res.text();
    if (res.status >= 300) {
      throw new Error(
        `replay of ${recording.scenario}: POST ${request.path} answered ${
          res.status
        }: ${text.slice(0, 300)}`,
      );
    }
    if (request.path.includes('/webhooks/')) {
      const ids = JSON.parse(text).incidentIds ?? [];
      for (const id of ids) if (!raised.includes(id)) raised.push(id);
      await waitTriaged(ids);
    }
  }
  await waitTriaged(raised);
  // Settle: re-triages (evidence that arrived after a triage lacked it, a window not yet
  // settled, groups that changed) run after their debounce; the view a user sees a minute
  // later is the one once none is left.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${baseUrl}/api/ai-triage/jobs/stats`, {
      headers: { authorization: `Bearer ${userToken}` },
    });
    if (!res.ok) {
      throw new Error(`GET jobs/stats: HTTP ${res.status}`);
    }
    const busy = (await res.json()).counts.filter(
      c =>
        (c.type === 'enrich' || c.type === 'reason') &&
        (c.status === 'queued' || c.status === 'running') &&
        c.count > 0,
    );
    if (busy.length === 0) break;
    if (Date.now() > deadline) {
      throw new Error(
        `triage still busy after ${timeoutMs} ms: ${busy
          .map(c => `${c.count} ${c.type} ${c.status}`)
          .join(', ')}`,
      );
    }
    await new Promise(resolve => setTimeout(resolve, 250));
  }
  await waitTriaged(raised);
  return raised;
}
