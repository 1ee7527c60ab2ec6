// The shop's customers: browse and checkout requests against storefront at a steady rate
// (Poisson arrivals), not instrumented. Runs inside the lab runner.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });

function send(port, method, path, body) {
  return new Promise(resolve => {
    const payload = body ? JSON.stringify(body) : undefined;
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: payload ? { 'content-type': 'application/json' } : {},
      },
      res => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      },
    );
    req.setTimeout(15_000, () => req.destroy());
    req.on('error', () => resolve(0));
    if (payload) req.write(payload);
    req.end();
  });
}

function cart() {
  const items = Array.from(
    { length: 1 + Math.floor(Math.random() * 3) },
    () => `sku-${1 + Math.floor(Math.random() * 20)}`,
  );
  return {
    user: `u${Math.floor(Math.random() * 500)}`,
    zip: String(10000 + Math.floor(Math.random() * 89999)),
    items,
    ...(Math.random() < 0.3
      ? { coupon: { code: 'WINTER10', percent: 10 } }
      : {}),
  };
}

/** Starts the load; returns { stop(), stats }. `rate` requests per second, 40% checkouts. */
export function startLoad({ port, rate }) {
  const stats = { sent: 0, ok: 0, failed: 0 };
  let timer;
  let stopped = false;
  const next = () => {
    if (stopped) return;
    timer = setTimeout(next, -Math.log(1 - Math.random()) * (1000 / rate));
    stats.sent += 1;
    const request =
      Math.random() < 0.4
        ? send(port, 'POST', '/checkout', cart())
        : send(
            port,
            'GET',
            `/products?skus=sku-${1 + Math.floor(Math.random() * 20)},sku-${
              1 + Math.floor(Math.random() * 20)
            }`,
          );
    request.then(status =>
      status >= 200 && status < 300 ? stats.ok++ : stats.failed++,
    );
  };
  next();
  return {
    stats,
    stop() {
      stopped = true;
      clearTimeout(timer);
      agent.destroy();
    },
  };
}
