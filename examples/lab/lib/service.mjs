// What every lab service shares: its name and port, the shop's hosts table, the fault switch, a
// logger on the OpenTelemetry logs API, JSON over HTTP in and out.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { logs, SeverityNumber } from '@opentelemetry/api';

export const serviceName = process.env.OTEL_SERVICE_NAME ?? 'unknown';
export const port = Number(process.env.LAB_PORT);

/**
 * The shop's hosts table ({ name: port }, all on loopback), as /etc/hosts or cluster DNS would
 * resolve service names: calls go to `http://payments:PORT`, so client spans carry the peer's
 * name in `server.address`. Names not in the table go to the real resolver (`.invalid` fails).
 */
const hosts = JSON.parse(process.env.LAB_HOSTS ?? '{}');
const systemLookup = dns.lookup;
dns.lookup = function lookup(hostname, options, callback) {
  if (typeof options === 'function') {
    callback = options;
    options = {};
  }
  if (Object.hasOwn(hosts, hostname)) {
    const all = typeof options === 'object' && options?.all;
    if (all)
      process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }]);
    else process.nextTick(callback, null, '127.0.0.1', 4);
    return {};
  }
  return systemLookup.call(this, hostname, options, callback);
};

/** The base URL of another shop service or external, by name. */
export function urlOf(name, scheme = 'http') {
  if (!hosts[name]) throw new Error(`no host ${name} in LAB_HOSTS`);
  return `${scheme}://${name}:${hosts[name]}`;
}

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

/**
 * The fault knobs of this service (from the scenario's table entry), active from the fault's
 * start on. `effect('delayMs')` is undefined before the fault or when the fault sets none.
 */
const effects = JSON.parse(process.env.LAB_EFFECTS ?? '{}');
export function effect(knob) {
  return Date.now() >= faultAt ? effects[knob] : undefined;
}

const otelLogger = logs.getLogger(serviceName);
const SEVERITY = {
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warn: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
};
/** A log record through the OpenTelemetry logs API (it carries the active trace and span). */
export function log(level, message, attributes = {}) {
  otelLogger.emit({
    severityNumber: SEVERITY[level],
    severityText: level.toUpperCase(),
    body: message,
    attributes,
  });
  if (process.env.LAB_DEBUG)
    process.stdout.write(`${serviceName} ${level} ${message}\n`);
}

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
/** A latency draw around `meanMs` (log-normal-ish jitter, like real service times). */
export function jitter(meanMs, spread = 0.3) {
  return Math.max(1, meanMs * Math.exp((Math.random() - 0.5) * 2 * spread));
}

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({
    keepAlive: true,
    maxSockets: 64,
    ca: process.env.LAB_TRUSTED_CA
      ? readFileSync(process.env.LAB_TRUSTED_CA)
      : undefined,
  }),
};

/** An HTTP error answer of a dependency. */
export class HttpError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/**
 * Calls a JSON endpoint; resolves with the parsed body on 2xx, rejects with an HttpError
 * otherwise, and with the socket error (ENOTFOUND, ECONNREFUSED, a TLS error) or a timeout.
 */
export function callJson(
  url,
  { method = 'GET', body, timeoutMs = 3000, headers = {} } = {},
) {
  const target = new URL(url);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method,
        agent: agents[target.protocol],
        headers: {
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
      },
      res => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', chunk => (text += chunk));
        res.on('end', () => {
          let parsed = null;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            parsed = { raw: text };
          }
          if (res.statusCode >= 200 && res.statusCode < 300) resolve(parsed);
          else
            reject(
              new HttpError(
                res.statusCode,
                `${method} ${target.host}${target.pathname} answered ${
                  res.statusCode
                }${parsed?.error ? `: ${parsed.error}` : ''}`,
                parsed,
              ),
            );
        });
      },
    );
    req.setTimeout(timeoutMs, () => {
      const error = new Error(
        `${method} ${target.host}${target.pathname} timed out after ${timeoutMs} ms`,
      );
      error.code = 'ETIMEDOUT';
      req.destroy(error);
    });
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Reads a request's JSON body. */
export function readJson(req) {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', chunk => (text += chunk));
    req.on('end', () => {
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (error) {
        reject(error);
      }
    });
    req.on('error', reject);
  });
}

/**
 * An HTTP server of JSON routes ({ 'POST /orders': handler }). A handler returns
 * { status, body } or a body (200); a thrown HttpError answers its status, anything else 500.
 */
export function serve(routes, { server = http.createServer() } = {}) {
  server.on('request', async (req, res) => {
    const path = req.url.split('?')[0];
    const handler = routes[`${req.method} ${path}`];
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!handler) return send(404, { error: `no route ${req.method} ${path}` });
    try {
      const result = await handler(req, new URL(req.url, 'http://local'));
      if (
        result &&
        typeof result === 'object' &&
        'status' in result &&
        'body' in result
      )
        send(result.status, result.body);
      else send(200, result ?? {});
    } catch (error) {
      const status =
        error instanceof HttpError
          ? error.status >= 500
            ? 502
            : error.status
          : 500;
      if (!error.logged)
        log('error', `${req.method} ${path} failed: ${error.message}`, {
          'exception.type': error.code ?? error.name,
        });
      send(status, { error: error.message });
    }
  });
  server.listen(port, '127.0.0.1', () =>
    log(
      'info',
      `${serviceName} ${
        process.env.LAB_VERSION ?? ''
      } listening on port ${port}`.replace('  ', ' '),
    ),
  );
  return server;
}
