import { Worker } from 'node:worker_threads';

/** Runs `work` over `items` with `concurrency` loops; returns each call's latency in ms. */
export async function runConcurrently<T>(
  items: T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++];
        const t0 = process.hrtime.bigint();
        await work(item);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  return {
    latencies,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/**
 * The HTTP senders run in a worker thread, as real senders are other processes: the backend's
 * event loop serves requests and the senders' work does not queue behind it.
 */
const SENDERS_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { bodies, url, headers, concurrency } = workerData;
(async () => {
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const t0 = process.hrtime.bigint();
      const res = await fetch(url, { method: 'POST', headers, body });
      const text = await res.text();
      if (res.status !== 202) {
        throw new Error('webhook answered ' + res.status + ': ' + text);
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }));
  parentPort.postMessage({ latencies, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
})().catch(error => parentPort.postMessage({ error: String(error) }));
`;

export function sendFromWorker(
  bodies: string[],
  url: string,
  headers: Record<string, string>,
  concurrency: number,
): Promise<{ latencies: number[]; seconds: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SENDERS_WORKER, {
      eval: true,
      workerData: { bodies, url, headers, concurrency },
    });
    worker.once('message', result => {
      worker.terminate();
      if (result.error) {
        reject(new Error(result.error));
      } else {
        resolve(result);
      }
    });
    worker.once('error', reject);
  });
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[
    Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  ];
}

export const round1 = (n: number) => Math.round(n * 10) / 10;
