import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  PrometheusExporter,
  PrometheusSerializer,
} from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import createKnex from 'knex';
import { DatabaseJobQueue, insertJob } from '../queue/DatabaseJobQueue';
import { applyDatabaseMigrations } from '../database/migrations';
import { QueueMetrics } from '../queue/QueueMetrics';
import {
  checkManifests,
  checkQuery,
  ExportedMetrics,
  jobTypesCounted,
  K8sObject,
  parseExposition,
  mountedConfigFiles,
  readKustomization,
  readYamlObjects,
  stagesOf,
} from '../__testUtils__/k8sManifests';

function mergeDeep(a: any, b: any): any {
  if (typeof a !== 'object' || typeof b !== 'object' || !a || !b) {
    return b;
  }
  const out = { ...a };
  for (const [key, value] of Object.entries(b)) {
    out[key] = mergeDeep(a[key], value);
  }
  return out;
}

jest.setTimeout(60_000);

const repoRoot = resolve(__dirname, '../../../..');
const k8sDir = join(repoRoot, 'k8s');
const kustomizations = ['base', 'overlays/dev'];

/**
 * What a backend pod serves on /metrics for the queue: the plugin's real QueueMetrics, over a
 * real job table (SQLite in memory), collected by the same Prometheus exporter as
 * instrumentation.ts and serialized to the text format Prometheus scrapes. Renaming a gauge or
 * an attribute in QueueMetrics.ts changes this and fails the KEDA checks below.
 */
async function exportedQueueMetrics(): Promise<{
  exposition: string;
  exported: ExportedMetrics;
}> {
  const knex = createKnex({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
  });
  const warnings: string[] = [];
  const logger = {
    warn: (message: string) => warnings.push(message),
    info: () => {},
    debug: () => {},
    error: (message: string) => warnings.push(message),
    child: () => logger,
  };
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  try {
    await applyDatabaseMigrations(knex);
    await knex.transaction(tx =>
      insertJob(tx, { type: 'enrich', incidentId: 'i1', maxAttempts: 3 }),
    );
    QueueMetrics.register({
      queue: DatabaseJobQueue.create({ knex }),
      meter: provider.getMeter('@ai-triage/plugin-ai-triage-backend'),
      logger,
    });
    const { resourceMetrics, errors } = await exporter.collect();
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]);
    const exposition = new PrometheusSerializer().serialize(resourceMetrics);
    return { exposition, exported: parseExposition(exposition) };
  } finally {
    await provider.shutdown();
    await knex.destroy();
  }
}

function kubectlAvailable(): boolean {
  return (
    spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' })
      .status === 0
  );
}

function kubectlKustomize(dir: string): K8sObject[] {
  const result = spawnSync('kubectl', ['kustomize', dir], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr}`);
  }
  return readYamlObjects(result.stdout);
}

const identity = (o: K8sObject, stripHash: boolean) => {
  const generated = o.kind === 'ConfigMap' || o.kind === 'Secret';
  const name =
    stripHash && generated
      ? o.metadata.name.replace(/-[a-z0-9]{10}$/, '')
      : o.metadata.name;
  return `${o.kind}/${o.metadata.namespace ?? ''}/${name}`;
};

describe('k8s manifests', () => {
  let exported: ExportedMetrics;
  let exposition: string;

  beforeAll(async () => {
    ({ exported, exposition } = await exportedQueueMetrics());
  });

  it('reads the queue gauges as Prometheus scrapes them', () => {
    expect(exposition).toContain('# TYPE ai_triage_queue_depth gauge');
    expect(exposition).toMatch(
      /^ai_triage_queue_depth\{.*job_type="enrich".*job_status="queued".*\} 1$/m,
    );
    expect(exported.get('ai_triage_queue_oldest_age')?.get('job_type')).toEqual(
      new Set(['enrich', 'reason', 'deliver']),
    );
  });

  it.each(kustomizations)(
    '%s: references, selectors, ports and KEDA triggers are consistent',
    name => {
      const objects = readKustomization(join(k8sDir, name));
      expect(checkManifests(objects, { exported })).toEqual([]);
      expect(
        objects.every(
          o => o.kind === 'Namespace' || o.metadata.namespace === 'ai-triage',
        ),
      ).toBe(true);
    },
  );

  it('base: one Deployment per stage, the queue stages each scaled by KEDA on its own jobs', () => {
    const objects = readKustomization(join(k8sDir, 'base'));
    const deployments = objects.filter(o => o.kind === 'Deployment');
    expect(
      Object.fromEntries(
        deployments.map(d => [d.metadata.name, stagesOf(objects, d)]),
      ),
    ).toEqual({
      'backstage-web': ['intake'],
      'backstage-enrich': ['enrich'],
      // Both outbound, network-bound: the LLM, and webhooks and ticket comments.
      'backstage-reason': ['reason', 'deliver'],
    });
    // Every queue stage runs in some Deployment, or its jobs would wait forever.
    expect(deployments.flatMap(d => stagesOf(objects, d)).sort()).toEqual([
      'deliver',
      'enrich',
      'intake',
      'reason',
    ]);
    const scaled = objects.filter(o => o.kind === 'ScaledObject');
    expect(scaled.map(o => o.apiVersion)).toEqual([
      'keda.sh/v1alpha1',
      'keda.sh/v1alpha1',
    ]);
    for (const stage of ['enrich', 'reason']) {
      const scaler = scaled.find(
        o => o.spec.scaleTargetRef.name === `backstage-${stage}`,
      )!;
      expect(scaler.spec.scaleTargetRef).toEqual({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: `backstage-${stage}`,
      });
      expect(scaler.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
      expect(scaler.spec.maxReplicaCount).toBeGreaterThan(
        scaler.spec.minReplicaCount,
      );
      const triggers = scaler.spec.triggers;
      const queries: string[] = triggers.map((t: any) => t.metadata.query);
      // Each on its own queues: depth and oldest-job age of the job types it runs, and only those.
      expect(queries).toEqual([
        expect.stringContaining('ai_triage_queue_depth{'),
        expect.stringContaining('ai_triage_queue_oldest_age{'),
      ]);
      const deployment = deployments.find(
        d => d.metadata.name === `backstage-${stage}`,
      )!;
      for (const query of queries) {
        expect(jobTypesCounted(query).sort()).toEqual(
          stagesOf(objects, deployment).sort(),
        );
      }
      // An empty result (pods not scraped) must be an error KEDA reports, not a zero.
      expect(triggers.map((t: any) => t.metadata.ignoreNullValues)).toEqual(
        triggers.map(() => 'false'),
      );
      // The depth trigger's per-replica target is the jobs one pod of the stage runs at once.
      const stageConfig = [
        ...mountedConfigFiles(objects, deployment).values(),
      ].pop();
      expect(triggers[0].metricType).toBe('AverageValue');
      expect(Number(triggers[0].metadata.threshold)).toBe(
        stageConfig.aiTriage.workers[stage].concurrency,
      );
      // The lean pipeline backend, not the portal.
      expect(deployment.spec.template.spec.containers[0].command[3]).toBe(
        './packages/backend/dist/pipeline.cjs.js',
      );
    }
    expect(
      scaled.some(o => o.spec.scaleTargetRef.name === 'backstage-web'),
    ).toBe(false);
    const metricsService = objects.find(
      o => o.kind === 'Service' && o.metadata.name === 'backstage-metrics',
    )!;
    expect(metricsService.spec.clusterIP).toBe('None');
  });

  it('base: grace periods cover the longest job, leases expire before a dead pod is replaced, web pods drain', () => {
    const objects = readKustomization(join(k8sDir, 'base'));
    const deployment = (name: string) =>
      objects.find(o => o.kind === 'Deployment' && o.metadata.name === name)!;
    const merged = (name: string) =>
      [...mountedConfigFiles(objects, deployment(name)).values()].reduce(
        (all, config) => mergeDeep(all, config ?? {}),
        {},
      );
    // Kubernetes marks a silent node NotReady after the node-monitor grace period (40 s), and
    // evicts its pods once they outlive their unreachable toleration.
    const NODE_MONITOR_GRACE_SECONDS = 40;
    const budgets = {
      // Both windows read in parallel, each provider bounded by its timeout.
      enrich: (config: any) =>
        2 * (config.aiTriage?.enrichment?.providerTimeoutSeconds ?? 10),
      // All LLM attempts of one job.
      reason: (config: any) =>
        config.aiTriage?.reasoning?.llm?.budgetSeconds ?? 180,
    };
    for (const stage of ['enrich', 'reason'] as const) {
      const name = `backstage-${stage}`;
      const config = merged(name);
      const budget = budgets[stage](config);
      const pod = deployment(name).spec.template.spec;
      const lease = config.aiTriage.workers.leaseSeconds;
      const unreachable = pod.tolerations.find(
        (t: any) => t.key === 'node.kubernetes.io/unreachable',
      ).tolerationSeconds;
      expect({
        name,
        graceCoversJob: pod.terminationGracePeriodSeconds >= budget,
      }).toEqual({ name, graceCoversJob: true });
      expect({ name, leaseOutlivesJob: lease > budget }).toEqual({
        name,
        leaseOutlivesJob: true,
      });
      expect({
        name,
        leaseEndsBeforeEviction:
          lease < NODE_MONITOR_GRACE_SECONDS + unreachable,
      }).toEqual({ name, leaseEndsBeforeEviction: true });
    }
    const web = merged('backstage-web');
    const delay = web.backend.lifecycle.serverShutdownDelay;
    expect(delay).toMatch(/^\d+s$/);
    expect(
      deployment('backstage-web').spec.template.spec
        .terminationGracePeriodSeconds,
    ).toBeGreaterThanOrEqual(parseInt(delay, 10) + 15);
  });

  it('the Deployments load the instrumentation the backend build emits', () => {
    // backstage-cli package build names each entry point's output dist/<mount>.cjs.js.
    const pkg = JSON.parse(
      readFileSync(join(repoRoot, 'packages/backend/package.json'), 'utf8'),
    );
    const mount = Object.entries(pkg.exports as Record<string, string>).find(
      ([, path]) => path === './src/instrumentation.ts',
    )?.[0];
    expect(mount).toBe('./instrumentation');
    const built = `./packages/backend/dist/${mount!.slice(2)}.cjs.js`;
    const pipelineMount = Object.entries(
      pkg.exports as Record<string, string>,
    ).find(([, path]) => path === './src/pipeline.ts')?.[0];
    expect(pipelineMount).toBe('./pipeline');
    const pipeline = `./packages/backend/dist/${pipelineMount!.slice(
      2,
    )}.cjs.js`;
    const objects = readKustomization(join(k8sDir, 'base'));
    for (const deployment of objects.filter(o => o.kind === 'Deployment')) {
      const [container] = deployment.spec.template.spec.containers;
      expect(container.command).toEqual([
        'node',
        '--require',
        built,
        // The portal (and intake) runs the full backend, the queue stages the lean one.
        deployment.metadata.name === 'backstage-web'
          ? 'packages/backend'
          : pipeline,
      ]);
    }
    const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`"--require", "${built}", "packages/backend"`);
  });

  it('reports the mistakes it is there to catch', () => {
    const objects = () => readKustomization(join(k8sDir, 'base'));
    const edit = (change: (objects: K8sObject[]) => void) => {
      const edited = objects();
      change(edited);
      return checkManifests(edited, { exported });
    };
    const scaledObject = (o: K8sObject[]) =>
      o.find(x => x.kind === 'ScaledObject')!;
    const deployment = (o: K8sObject[], name: string) =>
      o.find(x => x.kind === 'Deployment' && x.metadata.name === name)!;

    expect(
      edit(o => {
        scaledObject(o).spec.scaleTargetRef.name = 'backstage-workers';
      }),
    ).toEqual([expect.stringContaining('scaleTargetRef names no Deployment')]);
    expect(
      edit(o => {
        scaledObject(o).spec.scaleTargetRef.name = 'backstage-web';
      }),
    ).toEqual([
      expect.stringContaining('which runs no workers'),
      expect.stringContaining(
        'trigger queue-depth counts the jobs enrich, not exactly the jobs',
      ),
      expect.stringContaining(
        'trigger oldest-job-age counts the jobs enrich, not exactly the jobs',
      ),
      expect.stringContaining('Deployment backstage-web sets spec.replicas'),
    ]);
    // Scaling the reason pods on the enrich queue.
    expect(
      edit(o => {
        scaledObject(o).spec.scaleTargetRef.name = 'backstage-reason';
      }),
    ).toEqual([
      'ScaledObject backstage-enrich: trigger queue-depth counts the jobs enrich, not exactly the jobs backstage-reason runs (reason, deliver)',
      'ScaledObject backstage-enrich: trigger oldest-job-age counts the jobs enrich, not exactly the jobs backstage-reason runs (reason, deliver)',
    ]);
    // A trigger that leaves out a stage its Deployment runs: deliver jobs would pile up unseen.
    expect(
      edit(o => {
        const reason = o.find(
          x =>
            x.kind === 'ScaledObject' &&
            x.spec.scaleTargetRef.name === 'backstage-reason',
        )!;
        reason.spec.triggers[1].metadata.query =
          'max(ai_triage_queue_oldest_age{job_type="reason"})';
      }),
    ).toEqual([
      'ScaledObject backstage-reason: trigger oldest-job-age counts the jobs reason, not exactly the jobs backstage-reason runs (reason, deliver)',
    ]);
    // A stage file that the ConfigMap does not carry.
    expect(
      edit(o => {
        const { containers } = deployment(o, 'backstage-enrich').spec.template
          .spec;
        containers[0].args[containers[0].args.length - 1] =
          '/etc/backstage/stage-enrichment.yaml';
      }),
    ).toEqual([
      'Deployment backstage-enrich: --config /etc/backstage/stage-enrichment.yaml is in no mounted ConfigMap',
      // Without its stage file the pod runs every stage, which its triggers do not count.
      'ScaledObject backstage-enrich: trigger queue-depth counts the jobs enrich, not exactly the jobs backstage-enrich runs (enrich, reason, deliver)',
      'ScaledObject backstage-enrich: trigger oldest-job-age counts the jobs enrich, not exactly the jobs backstage-enrich runs (enrich, reason, deliver)',
    ]);
    expect(
      edit(o => {
        deployment(o, 'backstage-enrich').spec.replicas = 3;
      }),
    ).toEqual([expect.stringContaining('sets spec.replicas')]);
    expect(
      edit(o => {
        const { containers } = deployment(o, 'backstage-web').spec.template
          .spec;
        containers[0].envFrom[1].secretRef.name = 'backstage-secret';
      }),
    ).toEqual([
      'Deployment backstage-web: envFrom names missing Secret backstage-secret',
    ]);
    expect(
      edit(o => {
        const { containers } = deployment(o, 'backstage-reason').spec.template
          .spec;
        containers[0].ports = containers[0].ports.filter(
          (p: any) => p.name !== 'metrics',
        );
      }),
    ).toEqual([
      'Deployment backstage-reason: no containerPort named metrics',
      'Service backstage-metrics: port metrics targets metrics, which Deployment backstage-reason does not declare',
    ]);
    expect(
      edit(o => {
        o.splice(
          o.findIndex(x => x.kind === 'ServiceAccount'),
          1,
        );
      }),
    ).toEqual([
      'Deployment backstage-web: ServiceAccount backstage does not exist',
      'Deployment backstage-enrich: ServiceAccount backstage does not exist',
      'Deployment backstage-reason: ServiceAccount backstage does not exist',
    ]);

    // Queries: unknown metrics and labels, and sums over pods of a database-wide gauge.
    expect(checkQuery('max(ai_triage_queue_size)', exported)).toEqual([
      'query uses ai_triage_queue_size, which the backend does not export',
    ]);
    expect(
      checkQuery('sum(ai_triage_queue_depth{job_status="queued"})', exported),
    ).toEqual([expect.stringContaining('aggregate it across pods with max')]);
    expect(
      checkQuery(
        'sum(max by (job_type) (ai_triage_queue_depth{status="queued"}))',
        exported,
      ),
    ).toEqual(['ai_triage_queue_depth has no label status']);
    expect(
      checkQuery(
        'max(ai_triage_queue_depth{job_status=~"queued|waiting"})',
        exported,
      ),
    ).toEqual([expect.stringContaining('never reports job_status="waiting"')]);
    expect(
      checkQuery('max by (kind) (ai_triage_queue_oldest_age)', exported),
    ).toEqual(['ai_triage_queue_oldest_age has no label kind to group by']);
  });

  // kubectl is in the development image but not on every CI machine, so the real kustomize
  // render is checked where it exists; the reads above run everywhere.
  (kubectlAvailable() ? describe : describe.skip)('with kubectl', () => {
    it.each(kustomizations)(
      '%s: kubectl kustomize renders the objects read above, and they pass the checks',
      name => {
        const rendered = kubectlKustomize(join(k8sDir, name));
        expect(rendered.map(o => identity(o, true)).sort()).toEqual(
          readKustomization(join(k8sDir, name))
            .map(o => identity(o, false))
            .sort(),
        );
        expect(checkManifests(rendered, { exported })).toEqual([]);
      },
    );
  });
});
