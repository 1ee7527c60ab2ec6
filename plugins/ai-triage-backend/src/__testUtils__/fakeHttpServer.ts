import http from 'node:http';
import { AddressInfo } from 'node:net';

/** One request the fake server received. */
export type ReceivedRequest = {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
};

export type FakeAnswer = { status?: number; body: unknown; delayMs?: number };

/**
 * A small HTTP server on a free loopback port that answers every request with what `answer`
 * returns (JSON), standing in for a back-end that has no package here (Loki, Tempo, Jaeger).
 * It keeps the requests it received, for asserting what the client asked.
 */
export async function startFakeHttpServer(
  answer: (request: ReceivedRequest) => FakeAnswer,
): Promise<{
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}> {
  const requests: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const request = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
    };
    requests.push(request);
    const { status = 200, body, delayMs = 0 } = answer(request);
    const timer = setTimeout(() => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    }, delayMs);
    res.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
