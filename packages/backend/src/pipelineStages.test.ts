import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The pipeline as separate workloads: an intake-only process and separate enrich and reason
 * worker processes, each the lean `src/pipeline.ts` backend with the production
 * instrumentation, on one PostgreSQL. An alert sent to the intake becomes hypotheses through
 * them, and each process's own metrics show it ran its stage and no other.
 */

jest.setTimeout(180_000);

const POSTGRES_ENV = 'BACKSTAGE_TEST_DATABASE_POSTGRES16_CONNECTION_STRING';
const repoRoot = resolve(__dirname, '../../..');
const TOKEN = 'pipeline-stages-test-token';

/**
 * An example scenario's alert and its telemetry generated for `nowMs` (examples/scenarios; the
 * generator is an ES module, run in a child process as the plugin's scenario tests do).
 */
function loadScenario(name: string, nowMs: number) {
  const dir = join(repoRoot, 'examples/scenarios', name);
  const script = `import(${JSON.stringify(join(dir, 'telemetry.mjs'))})
    .then(m => process.stdout.write(JSON.stringify(m.generateTelemetry(${JSON.stringify(
      { nowMs },
    )}))))`;
  return {
    alert: JSON.parse(readFileSync(join(dir, 'alert.json'), 'utf8')),
    telemetry: JSON.parse(
      execFileSync(process.execPath, ['-e', script], {
        maxBuffer: 64 * 1024 * 1024,
      }).toString(),
    ),
  };
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = net.createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => done(port));
    });
  });
}

type StageProcess = {
  name: string;
  url: string;
  metricsUrl: string;
  child: ChildProcess;
  output: () => string;
};

async function startStage(
  dir: string,
  name: string,
  stages: string[],
  connection: string,
): Promise<StageProcess> {
  const port = await freePort();
  const metricsPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const configFile = join(dir, `${name}.yaml`);
  // JSON is YAML: the whole config of this process.
  writeFileSync(
    configFile,
    JSON.stringify({
      backend: {
        baseUrl: url,
        listen: { port, host: '127.0.0.1' },
        // A plugin database of this test's own on the shared server.
        database: {
          client: 'pg',
          connection,
          prefix: `ai_triage_stages_${process.pid}_`,
        },
        auth: {
          externalAccess: [
            {
              type: 'static',
              options: { token: TOKEN, subject: 'alert-senders' },
            },
          ],
        },
      },
      aiTriage: { workers: { stages, concurrency: 1 } },
    }),
  );
  let output = '';
  const child = spawn(
    process.execPath,
    [
      '--require',
      require.resolve('@backstage/cli/config/nodeTransform.cjs'),
      '--require',
      join(__dirname, 'instrumentation.ts'),
      join(__dirname, 'pipeline.ts'),
      '--config',
      configFile,
    ],
    {
      cwd: join(repoRoot, 'packages/backend'),
      env: {
        ...process.env,
        NODE_ENV: 'production',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
        OTEL_SERVICE_NAME: `ai-triage-${name}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', chunk => (output += chunk));
  child.stderr!.on('data', chunk => (output += chunk));
  const stage: StageProcess = {
    name,
    url,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    child,
    output: () => output,
  };
  await until(`${name} ready`, async () => {
    if (child.exitCode !== null) {
      throw new Error(`${name} exited ${child.exitCode}:\n${output}`);
    }
    const res = await fetch(`${url}/.backstage/health/v1/readiness`).catch(
      () => undefined,
    );
    return res?.ok ? true : undefined;
  });
  return stage;
}

async function stop(stage: StageProcess): Promise<void> {
  if (stage.child.exitCode !== null) {
    return;
  }
  const exited = new Promise(done => stage.child.once('exit', done));
  stage.child.kill('SIGTERM');
  await exited;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise(done => setTimeout(done, 200));
  }
}

/** `name{labels} value` lines of a process's /metrics whose labels contain `labels`. */
async function metricValue(
  stage: StageProcess,
  name: string,
  labels: Record<string, string>,
): Promise<number> {
  const text = await (await fetch(stage.metricsUrl)).text();
  return text
    .split('\n')
    .filter(
      line =>
        line.startsWith(`${name}{`) &&
        Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)),
    )
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

const postgres = process.env[POSTGRES_ENV];
const describeWithPostgres = postgres ? describe : describe.skip;
if (!postgres) {
  if (process.env.CI) {
    throw new Error(`${POSTGRES_ENV} is not set: CI runs this test (npm test)`);
  }
  // eslint-disable-next-line no-console
  console.warn(`${POSTGRES_ENV} not set: pipeline stage test skipped`);
}

describeWithPostgres('pipeline stages as separate processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ai-triage-stages-'));
  const started: StageProcess[] = [];

  afterAll(async () => {
    await Promise.all(started.map(stop));
    rmSync(dir, { recursive: true, force: true });
  });

  it('turn an alert into hypotheses: intake, enrich and reason each in its own process', async () => {
    const connection = postgres!;
    // Migrations run in the first process; the workers start once it is up.
    const intake = await startStage(dir, 'intake', ['intake'], connection);
    started.push(intake);
    const [enrich, reason] = await Promise.all([
      startStage(dir, 'enrich', ['enrich'], connection),
      startStage(dir, 'reason', ['reason'], connection),
    ]);
    started.push(enrich, reason);

    const nowMs = Date.now();
    const { alert, telemetry } = loadScenario(
      'checkout-payments-latency',
      nowMs,
    );
    const post = (path: string, body: unknown) =>
      fetch(`${intake.url}/api/ai-triage${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
    for (const signal of ['traces', 'metrics', 'logs']) {
      expect((await post(`/otlp/v1/${signal}`, telemetry[signal])).status).toBe(
        200,
      );
    }
    const startsAt = new Date(nowMs - 2 * 60_000).toISOString();
    const delivery = await post('/webhooks/alertmanager', {
      ...alert,
      alerts: alert.alerts.map((a: object) => ({ ...a, startsAt })),
    });
    expect(delivery.status).toBe(202);

    // Hypotheses: the reason process counts a finished triage.
    await until('the triage', async () =>
      (await metricValue(reason, 'ai_triage_triage_duration_count', {
        ai_triage_triage_outcome: 'triaged',
      })) >= 1
        ? true
        : undefined,
    );

    const jobs = (stage: StageProcess, type: string) =>
      metricValue(stage, 'ai_triage_jobs_total', {
        job_type: type,
        job_outcome: 'done',
      });
    expect(await jobs(enrich, 'enrich')).toBe(1);
    expect(await jobs(reason, 'reason')).toBe(1);
    expect(await jobs(enrich, 'reason')).toBe(0);
    expect(await jobs(reason, 'enrich')).toBe(0);
    expect(await jobs(intake, 'enrich')).toBe(0);
    expect(await jobs(intake, 'reason')).toBe(0);
    expect(
      await metricValue(intake, 'ai_triage_intake_deliveries_total', {
        ai_triage_intake_outcome: 'accepted',
      }),
    ).toBe(1);

    // Each process's readiness carries the pipeline checks.
    for (const stage of [intake, enrich, reason]) {
      const readiness = await fetch(
        `${stage.url}/.backstage/health/v1/readiness`,
      );
      expect(readiness.status).toBe(200);
      expect(await readiness.json()).toMatchObject({
        status: 'ok',
        aiTriage: { database: { status: 'ok' }, queue: { status: 'ok' } },
      });
    }

    // The worker processes serve no webhook routes.
    const toWorker = await fetch(
      `${enrich.url}/api/ai-triage/webhooks/alertmanager`,
      { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } },
    );
    expect(toWorker.status).toBe(404);
    expect(intake.output()).toContain(
      'AI triage workers are disabled on this replica',
    );
    expect(enrich.output()).toContain('for enrich jobs');
    expect(reason.output()).toContain('for reason jobs');
  });
});
