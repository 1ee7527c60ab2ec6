// The recording proxy: a loopback HTTP server between the shop (OTLP exporters, Alertmanager)
// and the triage backend. It keeps every request body with its arrival time, and
// forwards it to the target (with its authorization header), or answers 200 itself when there is
// no target (recording without a backend).
import http from 'node:http';

export async function startRecorder({ target, record }) {
  const entries = [];
  const stats = { requests: 0, forwardFailures: 0, lastError: null };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      stats.requests += 1;
      if (record) {
        let parsed;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          parsed = undefined;
        }
        if (parsed !== undefined)
          entries.push({ atMs: Date.now(), path: req.url, body: parsed });
      }
      if (!target) {
        res.writeHead(req.url.includes('/webhooks/') ? 202 : 200, {
          'content-type': 'application/json',
        });
        res.end('{}');
        return;
      }
      try {
        const answer = await fetch(new URL(req.url, target), {
          method: req.method,
          headers: {
            'content-type': req.headers['content-type'] ?? 'application/json',
            ...(req.headers.authorization
              ? { authorization: req.headers.authorization }
              : {}),
          },
          body,
        });
        const text = await answer.text();
        if (answer.status >= 300) {
          stats.forwardFailures += 1;
          stats.lastError = `${req.url} → ${answer.status} ${text.slice(
            0,
            200,
          )}`;
        }
        res.writeHead(answer.status, {
          'content-type':
            answer.headers.get('content-type') ?? 'application/json',
        });
        res.end(text);
      } catch (error) {
        stats.forwardFailures += 1;
        stats.lastError = `${req.url} → ${error.cause?.code ?? error.message}`;
        res.writeHead(502).end();
      }
    });
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    /** What was received, in order, with its arrival time (epoch ms). */
    entries,
    stats,
    close: () => new Promise(resolve => server.close(resolve)),
  };
}
