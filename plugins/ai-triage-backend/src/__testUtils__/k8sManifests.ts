/**
 * Offline checks of the Kubernetes manifests in k8s/ (used by ../manifests.test.ts; not part of
 * the backend bundle). There is no cluster in CI, so the objects are read from the kustomize
 * files and checked for what `kubectl apply` would only find out at run time: references to
 * ConfigMaps, Secrets and ports that do not exist, selectors that match nothing, a KEDA
 * ScaledObject aimed at the wrong Deployment or querying metrics the backend does not export.
 */
import { readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** A Kubernetes object as parsed from YAML. */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: any;
};

type Generator = {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  literals?: string[];
  files?: string[];
  envs?: string[];
};

type Kustomization = {
  namespace?: string;
  resources?: string[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  patches?: Array<{ patch?: string; path?: string }>;
};

/**
 * The objects a kustomization declares, read without kustomize: its resources (files and
 * directories, recursively), its ConfigMap and Secret generators (create, merge, replace; names
 * without kustomize's hash suffix), `$patch: delete` patches and its namespace. Other patches
 * and transformers are not applied; they change field values, not which objects exist or what
 * they refer to. Where kubectl is installed, the test compares this with `kubectl kustomize`.
 */
export function readKustomization(dir: string): K8sObject[] {
  const kustomization = parse(
    readFileSync(join(dir, 'kustomization.yaml'), 'utf8'),
  ) as Kustomization;
  let objects: K8sObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = resolve(dir, resource);
    if (statSync(path).isDirectory()) {
      objects.push(...readKustomization(path));
    } else {
      objects.push(...readYamlObjects(readFileSync(path, 'utf8')));
    }
  }
  for (const [kind, generators] of [
    ['ConfigMap', kustomization.configMapGenerator],
    ['Secret', kustomization.secretGenerator],
  ] as const) {
    for (const generator of generators ?? []) {
      const data = generatedData(dir, generator);
      const existing = objects.find(
        o => o.kind === kind && o.metadata.name === generator.name,
      );
      const behavior = generator.behavior ?? 'create';
      if (behavior === 'create') {
        if (existing) {
          throw new Error(`${dir}: ${kind} ${generator.name} generated twice`);
        }
        objects.push({
          apiVersion: 'v1',
          kind,
          metadata: { name: generator.name },
          data,
        });
      } else if (!existing) {
        throw new Error(
          `${dir}: ${kind} ${generator.name} has behavior ${behavior} but no base to ${behavior}`,
        );
      } else if (behavior === 'replace') {
        delete existing.stringData;
        existing.data = data;
      } else {
        existing.data = { ...existing.data, ...data };
      }
    }
  }
  for (const { patch, path } of kustomization.patches ?? []) {
    const text = patch ?? readFileSync(resolve(dir, path!), 'utf8');
    const doc = parse(text);
    if (doc && !Array.isArray(doc) && doc.$patch === 'delete') {
      const before = objects.length;
      objects = objects.filter(
        o => !(o.kind === doc.kind && o.metadata.name === doc.metadata?.name),
      );
      if (objects.length === before) {
        throw new Error(
          `${dir}: delete patch matches no ${doc.kind} ${doc.metadata?.name}`,
        );
      }
    }
  }
  if (kustomization.namespace) {
    for (const object of objects) {
      if (object.kind !== 'Namespace') {
        object.metadata.namespace = kustomization.namespace;
      }
    }
  }
  return objects;
}

/** Every non-empty document of a multi-document YAML text. */
export function readYamlObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map(doc => {
      if (doc.errors.length > 0) {
        throw new Error(doc.errors.map(e => e.message).join('; '));
      }
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => Boolean(o));
}

function generatedData(dir: string, generator: Generator) {
  const data: Record<string, string> = {};
  for (const literal of generator.literals ?? []) {
    const at = literal.indexOf('=');
    data[literal.slice(0, at)] = literal.slice(at + 1);
  }
  for (const file of generator.files ?? []) {
    const [key, path] = file.includes('=')
      ? file.split('=', 2)
      : [basename(file), file];
    data[key] = readFileSync(resolve(dir, path), 'utf8');
  }
  for (const envFile of generator.envs ?? []) {
    for (const line of readFileSync(resolve(dir, envFile), 'utf8').split(
      '\n',
    )) {
      const at = line.indexOf('=');
      if (at > 0 && !line.startsWith('#')) {
        data[line.slice(0, at).trim()] = line.slice(at + 1);
      }
    }
  }
  return data;
}

/** The metrics a backend pod serves: metric name to the values seen per label name. */
export type ExportedMetrics = Map<string, Map<string, Set<string>>>;

/** Reads a Prometheus text exposition into {@link ExportedMetrics}. */
export function parseExposition(text: string): ExportedMetrics {
  const metrics: ExportedMetrics = new Map();
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+\S+/.exec(line);
    if (!sample) {
      continue;
    }
    const labels = metrics.get(sample[1]) ?? new Map<string, Set<string>>();
    metrics.set(sample[1], labels);
    for (const [, name, value] of (sample[2] ?? '').matchAll(
      /(\w+)="((?:[^"\\]|\\.)*)"/g,
    )) {
      labels.set(name, (labels.get(name) ?? new Set()).add(value));
    }
  }
  return metrics;
}

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
]);

/**
 * The job types a query selects: `job_type="a"` or `job_type=~"a|b"` (every selector of the
 * query, deduplicated).
 */
export function jobTypesCounted(query: string): string[] {
  const types = [...query.matchAll(/job_type\s*(=~|=)\s*"([^"]+)"/g)].flatMap(
    ([, op, value]) => (op === '=~' ? value.split('|') : [value]),
  );
  return [...new Set(types)];
}

/**
 * Problems of a PromQL query against what the backend exports: metric names and label names it
 * does not export, label values it never reports, and database-wide gauges not aggregated with
 * `max` across pods (every pod reports the same value, so a `sum` over pods would multiply it).
 */
export function checkQuery(query: string, exported: ExportedMetrics): string[] {
  const problems: string[] = [];
  const labelNames: string[] = [];
  // Grouping clauses: by (a, b) / without (a)
  let rest = query.replace(
    /\b(by|without|on|ignoring)\s*\(([^)]*)\)/g,
    (_, _kw, names: string) => {
      labelNames.push(
        ...names
          .split(',')
          .map(n => n.trim())
          .filter(Boolean),
      );
      return ' ';
    },
  );
  const selectors: Array<{ metric: string; matchers: string }> = [];
  rest = rest.replace(
    /([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g,
    (_, metric: string, matchers: string) => {
      selectors.push({ metric, matchers });
      return ' ';
    },
  );
  for (const [, name] of rest.matchAll(/\b([a-zA-Z_:][\w:]*)\b(?!\s*\()/g)) {
    if (!PROMQL_KEYWORDS.has(name) && !/^\d/.test(name)) {
      selectors.push({ metric: name, matchers: '' });
    }
  }
  if (selectors.length === 0) {
    problems.push(`query names no metric: ${query}`);
  }
  for (const { metric, matchers } of selectors) {
    const labels = exported.get(metric);
    if (!labels) {
      problems.push(`query uses ${metric}, which the backend does not export`);
      continue;
    }
    const escaped = metric.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (
      !new RegExp(
        `\\bmax\\s*(?:by\\s*\\([^)]*\\)\\s*)?\\(\\s*${escaped}\\b`,
      ).test(query)
    ) {
      problems.push(
        `${metric} is database-wide (every pod reports the same value): aggregate it across pods with max, not sum`,
      );
    }
    for (const [, label, op, value] of matchers.matchAll(
      /(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g,
    )) {
      const values = labels.get(label);
      if (!values) {
        problems.push(`${metric} has no label ${label}`);
        continue;
      }
      if (op === '=' || op === '=~') {
        for (const wanted of op === '=' ? [value] : value.split('|')) {
          if (!values.has(wanted)) {
            problems.push(
              `${metric} never reports ${label}="${wanted}" (it reports ${[
                ...values,
              ].join(', ')})`,
            );
          }
        }
      }
    }
    for (const label of labelNames) {
      if (!labels.has(label)) {
        problems.push(`${metric} has no label ${label} to group by`);
      }
    }
  }
  return problems;
}

function find(objects: K8sObject[], kind: string, name: string) {
  return objects.find(o => o.kind === kind && o.metadata.name === name);
}

function matches(selector: Record<string, string>, labels = {}) {
  return Object.entries(selector).every(
    ([k, v]) => (labels as Record<string, string>)[k] === v,
  );
}

function envValue(container: any, name: string): string | undefined {
  return container.env?.find((e: any) => e.name === name)?.value;
}

/** Whether a container starts the backend (full or the lean pipeline entry). */
function isBackend(container: any): boolean {
  const command: string[] = container.command ?? [];
  return (
    command[0] === 'node' && command.some(c => c.includes('packages/backend'))
  );
}

/**
 * The config files a backend Deployment's container loads with `--config` from its mounted
 * ConfigMaps, parsed, by path; a path that no mounted ConfigMap provides maps to undefined.
 */
export function mountedConfigFiles(
  objects: K8sObject[],
  deployment: K8sObject,
): Map<string, any> {
  const pod = deployment.spec.template.spec;
  const [container] = pod.containers;
  const args: string[] = [
    ...(container.command ?? []),
    ...(container.args ?? []),
  ];
  const files = new Map<string, any>();
  args.forEach((arg, i) => {
    if (arg !== '--config' || !args[i + 1]?.startsWith('/')) {
      return;
    }
    const path = args[i + 1];
    const mount = (container.volumeMounts ?? []).find((m: any) =>
      path.startsWith(`${m.mountPath}/`),
    );
    const volume = (pod.volumes ?? []).find((v: any) => v.name === mount?.name);
    const configMap = volume?.configMap
      ? find(objects, 'ConfigMap', volume.configMap.name)
      : undefined;
    const text = configMap?.data?.[path.slice(mount.mountPath.length + 1)];
    files.set(path, text === undefined ? undefined : parse(text));
  });
  return files;
}

/** The pipeline stages a backend Deployment runs, from its config files (default: all). */
export function stagesOf(
  objects: K8sObject[],
  deployment: K8sObject,
): string[] {
  // The plugin's default (aiTriage.workers.stages unset): every stage.
  let stages = ['intake', 'enrich', 'reason', 'deliver'];
  for (const config of mountedConfigFiles(objects, deployment).values()) {
    stages = config?.aiTriage?.workers?.stages ?? stages;
  }
  return stages;
}

/**
 * Problems in a set of rendered (or read) manifests: dangling references, selectors that match
 * nothing, metrics ports and scrape annotations that disagree, and ScaledObjects that target a
 * missing or non-worker Deployment or query metrics the backend does not export.
 */
export function checkManifests(
  objects: K8sObject[],
  options: { exported: ExportedMetrics },
): string[] {
  const problems: string[] = [];
  const deployments = objects.filter(o => o.kind === 'Deployment');
  const keysOf = (kind: string, name: string) => {
    const object = find(objects, kind, name);
    return object
      ? new Set([
          ...Object.keys(object.data ?? {}),
          ...Object.keys(object.stringData ?? {}),
        ])
      : undefined;
  };

  for (const deployment of deployments) {
    const where = `Deployment ${deployment.metadata.name}`;
    const pod = deployment.spec.template;
    if (
      !matches(
        deployment.spec.selector?.matchLabels ?? {},
        pod.metadata?.labels,
      )
    ) {
      problems.push(`${where}: selector does not match its pod labels`);
    }
    const account = pod.spec.serviceAccountName;
    if (account && !find(objects, 'ServiceAccount', account)) {
      problems.push(`${where}: ServiceAccount ${account} does not exist`);
    }
    for (const volume of pod.spec.volumes ?? []) {
      if (
        volume.configMap &&
        !find(objects, 'ConfigMap', volume.configMap.name)
      ) {
        problems.push(
          `${where}: volume ${volume.name} names missing ConfigMap ${volume.configMap.name}`,
        );
      }
      if (volume.secret && !find(objects, 'Secret', volume.secret.secretName)) {
        problems.push(
          `${where}: volume ${volume.name} names missing Secret ${volume.secret.secretName}`,
        );
      }
    }
    for (const container of pod.spec.containers) {
      const portNames = new Set(
        (container.ports ?? []).map((p: any) => p.name),
      );
      for (const source of container.envFrom ?? []) {
        for (const [ref, kind] of [
          ['configMapRef', 'ConfigMap'],
          ['secretRef', 'Secret'],
        ] as const) {
          const name = source[ref]?.name;
          if (name && !source[ref].optional && !find(objects, kind, name)) {
            problems.push(`${where}: envFrom names missing ${kind} ${name}`);
          }
        }
      }
      for (const variable of container.env ?? []) {
        for (const [ref, kind] of [
          ['configMapKeyRef', 'ConfigMap'],
          ['secretKeyRef', 'Secret'],
        ] as const) {
          const selector = variable.valueFrom?.[ref];
          if (!selector || selector.optional) {
            continue;
          }
          const keys = keysOf(kind, selector.name);
          if (!keys) {
            problems.push(
              `${where}: env ${variable.name} names missing ${kind} ${selector.name}`,
            );
          } else if (!keys.has(selector.key)) {
            problems.push(
              `${where}: env ${variable.name} names missing key ${selector.key} of ${kind} ${selector.name}`,
            );
          }
        }
      }
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const port = container[probe]?.httpGet?.port;
        if (typeof port === 'string' && !portNames.has(port)) {
          problems.push(`${where}: ${probe} uses unknown port ${port}`);
        }
      }
      // Backend containers: the instrumentation must be loaded and its port declared.
      const command: string[] = container.command ?? [];
      if (isBackend(container)) {
        const required = command[command.indexOf('--require') + 1];
        if (
          !command.includes('--require') ||
          !/instrumentation/.test(required)
        ) {
          problems.push(
            `${where}: the backend starts without --require of the instrumentation`,
          );
        }
        const metricsPort = container.ports?.find(
          (p: any) => p.name === 'metrics',
        );
        const otelPort =
          envValue(container, 'OTEL_EXPORTER_PROMETHEUS_PORT') ?? '9464';
        if (!metricsPort) {
          problems.push(`${where}: no containerPort named metrics`);
        } else if (String(metricsPort.containerPort) !== otelPort) {
          problems.push(
            `${where}: metrics port ${metricsPort.containerPort} is not OTEL_EXPORTER_PROMETHEUS_PORT ${otelPort}`,
          );
        }
        const annotations = pod.metadata?.annotations ?? {};
        if (
          annotations['prometheus.io/scrape'] !== 'true' ||
          annotations['prometheus.io/port'] !== otelPort
        ) {
          problems.push(
            `${where}: pod annotations do not ask Prometheus to scrape port ${otelPort}`,
          );
        }
        for (const [path, config] of mountedConfigFiles(objects, deployment)) {
          if (config === undefined) {
            problems.push(
              `${where}: --config ${path} is in no mounted ConfigMap`,
            );
          }
        }
        if (!(mountedConfigFiles(objects, deployment).size > 0)) {
          problems.push(`${where}: loads no mounted --config file`);
        }
      }
    }
  }

  for (const service of objects.filter(o => o.kind === 'Service')) {
    const where = `Service ${service.metadata.name}`;
    const selected = deployments.filter(d =>
      matches(service.spec.selector ?? {}, d.spec.template.metadata?.labels),
    );
    if (selected.length === 0) {
      problems.push(`${where}: selector matches no Deployment's pods`);
    }
    for (const port of service.spec.ports ?? []) {
      if (typeof port.targetPort !== 'string') {
        continue;
      }
      for (const deployment of selected) {
        const declared = deployment.spec.template.spec.containers.some(
          (c: any) => c.ports?.some((p: any) => p.name === port.targetPort),
        );
        if (!declared) {
          problems.push(
            `${where}: port ${port.name} targets ${port.targetPort}, which Deployment ${deployment.metadata.name} does not declare`,
          );
        }
      }
    }
  }

  for (const scaled of objects.filter(o => o.kind === 'ScaledObject')) {
    const where = `ScaledObject ${scaled.metadata.name}`;
    const target = scaled.spec.scaleTargetRef ?? {};
    const deployment =
      (target.kind ?? 'Deployment') === 'Deployment'
        ? find(objects, 'Deployment', target.name)
        : undefined;
    if (!deployment) {
      problems.push(
        `${where}: scaleTargetRef names no Deployment (${
          target.kind ?? 'Deployment'
        } ${target.name})`,
      );
    } else {
      const queueStages = stagesOf(objects, deployment).filter(
        stage => stage !== 'intake',
      );
      if (queueStages.length === 0) {
        problems.push(
          `${where}: targets ${target.name}, which runs no workers`,
        );
      }
      for (const trigger of scaled.spec.triggers ?? []) {
        const query: string = trigger.metadata?.query ?? '';
        const types = jobTypesCounted(query);
        if (
          types.length === 0 ||
          types.some(t => !queueStages.includes(t)) ||
          queueStages.some(s => !types.includes(s))
        ) {
          problems.push(
            `${where}: trigger ${trigger.name} counts the jobs ${
              types.join(', ') || 'none'
            }, not exactly the jobs ${target.name} runs (${
              queueStages.join(', ') || 'none'
            })`,
          );
        }
      }
      if (deployment.spec.replicas !== undefined) {
        problems.push(
          `${where}: Deployment ${target.name} sets spec.replicas, which fights the autoscaler on every apply`,
        );
      }
    }
    const { minReplicaCount = 0, maxReplicaCount = 100 } = scaled.spec;
    if (minReplicaCount < 1 || maxReplicaCount < minReplicaCount) {
      problems.push(
        `${where}: replicas must be 1 <= min <= max (min ${minReplicaCount}, max ${maxReplicaCount})`,
      );
    }
    const triggers = scaled.spec.triggers ?? [];
    if (triggers.length === 0) {
      problems.push(`${where}: no triggers`);
    }
    for (const trigger of triggers) {
      if (trigger.type !== 'prometheus') {
        continue;
      }
      const { query, threshold, serverAddress } = trigger.metadata ?? {};
      if (!serverAddress || !query || !(Number(threshold) > 0)) {
        problems.push(
          `${where}: trigger ${trigger.name} needs serverAddress, query and a positive threshold`,
        );
        continue;
      }
      problems.push(
        ...checkQuery(query, options.exported).map(
          p => `${where}: trigger ${trigger.name}: ${p}`,
        ),
      );
    }
  }
  return problems;
}
