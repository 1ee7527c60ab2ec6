import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';

/**
 * Whether Debian's Prometheus is installed. Outside CI a test without it is skipped with a
 * message; in CI (which installs it) its absence fails the run.
 */
export function prometheusInstalled(): boolean {
  const installed = fs.existsSync(PROMETHEUS) && fs.existsSync(PROMTOOL);
  if (!installed && process.env.CI) {
    throw new Error(
      `${PROMETHEUS} or ${PROMTOOL} is missing: CI installs the prometheus package (.ci/run)`,
    );
  }
  if (!installed) {
    // eslint-disable-next-line no-console
    console.warn(
      'Prometheus not installed (apt-get install prometheus): Prometheus provider tests skipped',
    );
  }
  return installed;
}

export type RunningPrometheus = { url: string; stop(): Promise<void> };

/**
 * Backfills a new TSDB from OpenMetrics text with `promtool tsdb create-blocks-from openmetrics`
 * and starts a real Prometheus on it, on a free loopback port, scraping nothing.
 */
export async function startPrometheusWith(
  openMetrics: string,
): Promise<RunningPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-triage-prometheus-'));
  fs.writeFileSync(path.join(dir, 'data.om'), openMetrics);
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    'global:\n  scrape_interval: 15s\n',
  );
  execFileSync(
    PROMTOOL,
    ['tsdb', 'create-blocks-from', 'openmetrics', 'data.om', 'data'],
    { cwd: dir, stdio: 'pipe' },
  );
  return startPrometheusIn(dir);
}

/**
 * Starts a real Prometheus on a free loopback port that scrapes `target` (host:port, path
 * /metrics) every second and evaluates `ruleFiles` every second.
 */
export async function startPrometheusScraping(options: {
  target: string;
  ruleFiles: string[];
}): Promise<RunningPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ai-triage-prometheus-'));
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      ...options.ruleFiles.map(file => `  - ${JSON.stringify(file)}`),
      'scrape_configs:',
      '  - job_name: ai-triage',
      '    static_configs:',
      `      - targets: [${JSON.stringify(options.target)}]`,
      '',
    ].join('\n'),
  );
  return startPrometheusIn(dir);
}

async function startPrometheusIn(dir: string): Promise<RunningPrometheus> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    PROMETHEUS,
    [
      '--config.file=prometheus.yml',
      '--storage.tsdb.path=data',
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
    ],
    { cwd: dir, stdio: 'ignore' },
  );
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill();
      throw new Error(`Prometheus did not become ready on ${url}`);
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
