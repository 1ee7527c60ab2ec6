// The shop's external dependencies, not instrumented (they are someone else's systems):
// `payment-provider` (HTTPS) and `carrier-api` (HTTP). Which one runs is LAB_EXTERNAL. Their
// fault knobs come from the same switch as the services' (LAB_EFFECTS from LAB_FAULT_AT on).
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';

const name = process.env.LAB_EXTERNAL;
const port = Number(process.env.LAB_PORT);
const effects = JSON.parse(process.env.LAB_EFFECTS ?? '{}');

// The fault's start (epoch ms), written by the lab runner into LAB_FAULT_AT_FILE once the load
// runs; re-read every 500 ms.
let faultAt = Infinity;
function readFaultAt() {
  try {
    faultAt = Number(readFileSync(process.env.LAB_FAULT_AT_FILE, 'utf8'));
  } catch {}
}
if (process.env.LAB_FAULT_AT_FILE) {
  readFaultAt();
  setInterval(readFaultAt, 500).unref();
}
const effect = knob => (Date.now() >= faultAt ? effects[knob] : undefined);
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
const jitter = (mean, spread = 0.3) =>
  Math.max(1, mean * Math.exp((Math.random() - 0.5) * 2 * spread));

function json(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

// A fixed window of `limit` requests per second across all callers, like a provider's quota.
let windowStart = 0;
let windowCount = 0;
function overQuota(limit) {
  const second = Math.floor(Date.now() / 1000);
  if (second !== windowStart) {
    windowStart = second;
    windowCount = 0;
  }
  windowCount += 1;
  return windowCount > limit;
}

let rotated = false;

async function handle(req, res) {
  // After a rotation, close every connection so each call handshakes with the new certificate.
  if (rotated) res.setHeader('connection', 'close');
  req.resume();
  await new Promise(resolve => req.on('end', resolve));
  if (effect('hang')) return; // accepts the connection, never answers
  const quota = effect('quotaPerSecond');
  if (quota !== undefined && overQuota(quota)) {
    return json(
      res,
      429,
      { error: 'rate limit exceeded: quota of requests per second used up' },
      { 'retry-after': '1' },
    );
  }
  await sleep(
    jitter(effect('delayMs') ?? (name === 'payment-provider' ? 120 : 40)),
  );
  if (name === 'payment-provider') {
    return json(res, 200, {
      id: `ch_${Math.random().toString(36).slice(2, 12)}`,
      status: 'succeeded',
    });
  }
  return json(res, 200, {
    carrier: 'parcelco',
    priceCents: 499 + Math.floor(Math.random() * 300),
  });
}

if (process.env.LAB_TLS_CERT) {
  const trusted = {
    cert: readFileSync(process.env.LAB_TLS_CERT),
    key: readFileSync(process.env.LAB_TLS_KEY),
  };
  const server = https.createServer(trusted, handle).listen(port, '127.0.0.1');
  // The provider rotates its certificate to one our trust store does not know.
  if (process.env.LAB_TLS_ROTATED_CERT && effects.rotateCertificate) {
    const rotation = setInterval(() => {
      if (Date.now() < faultAt) return;
      clearInterval(rotation);
      rotated = true;
      server.setSecureContext({
        cert: readFileSync(process.env.LAB_TLS_ROTATED_CERT),
        key: readFileSync(process.env.LAB_TLS_ROTATED_KEY),
      });
      // Keep-alive connections keep the old session; new handshakes get the new certificate.
      server.closeIdleConnections?.();
    }, 200);
  }
} else {
  http.createServer(handle).listen(port, '127.0.0.1');
}
