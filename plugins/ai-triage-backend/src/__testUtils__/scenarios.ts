import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  AuditorService,
  LoggerService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { EventsService } from '@backstage/plugin-events-node';
import { ConfigReader } from '@backstage/config';
import {
  ContextDocument,
  HypothesisDraft,
} from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import {
  PipelineCatalog,
  createTriagePipeline,
} from '../pipeline/createTriagePipeline';
import {
  parseOtlpLogs,
  parseOtlpMetrics,
  parseOtlpTraces,
} from '../telemetry/otlp';

const scenariosDir = path.resolve(
  resolvePackagePath('@ai-triage/plugin-ai-triage-backend'),
  '../../examples/scenarios',
);

export type Scenario = {
  scenario: Record<string, any>;
  alert: Record<string, any>;
  telemetry: { traces: unknown; metrics: unknown; logs: unknown };
};

/**
 * Loads an example scenario as `npm run demo` sends it: its alert and the OTLP telemetry its
 * generator makes for `nowMs` (the generator is an ES module, so a child Node runs it).
 */
export function loadScenario(
  name: string,
  nowMs: number,
  seed?: number,
): Scenario {
  const dir = path.join(scenariosDir, name);
  const script = `import(${JSON.stringify(path.join(dir, 'telemetry.mjs'))})
    .then(m => process.stdout.write(JSON.stringify(m.generateTelemetry(${JSON.stringify(
      { nowMs, seed },
    )}))))`;
  const telemetry = JSON.parse(
    execFileSync(process.execPath, ['-e', script], {
      maxBuffer: 64 * 1024 * 1024,
    }).toString(),
  );
  return {
    scenario: JSON.parse(
      fs.readFileSync(path.join(dir, 'scenario.json'), 'utf8'),
    ),
    alert: JSON.parse(fs.readFileSync(path.join(dir, 'alert.json'), 'utf8')),
    telemetry,
  };
}

/** The names of all example scenarios (folders of examples/scenarios with a scenario.json). */
export function listScenarios(): string[] {
  return fs
    .readdirSync(scenariosDir)
    .filter(name =>
      fs.existsSync(path.join(scenariosDir, name, 'scenario.json')),
    )
    .sort();
}

/**
 * The example catalog: every service is the component of its name, with no annotations,
 * owners or declared dependencies.
 */
export const exampleCatalog: PipelineCatalog = {
  async resolve(serviceName) {
    return `component:default/${serviceName}`;
  },
  async serviceNamesOf(entityRef) {
    return [entityRef.split('/').pop()!];
  },
  async entityRefsOf() {
    return [];
  },
  async ownersOf() {
    return [];
  },
  async annotationsOf() {
    return {};
  },
};

/** Events and audit records go nowhere in a replay. */
const noEvents: EventsService = {
  async publish() {},
  async subscribe() {},
};
const noAudit: AuditorService = {
  async createEvent() {
    return { async success() {}, async fail() {} };
  },
};

function silentLogger(): LoggerService {
  const logger: LoggerService = {
    error() {},
    warn() {},
    info() {},
    debug() {},
    child: () => logger,
  };
  return logger;
}

/** What replaying one scenario through the pipeline gave. */
export type ScenarioReplay = {
  name: string;
  rootCauseKind: string;
  /** The hypotheses' root causes, best first. */
  hypotheses: HypothesisDraft[];
  insufficientEvidence: boolean;
  /** Rank (1-3) of the first hypothesis that matches the known root cause, or null. */
  matchRank: number | null;
  context: ContextDocument;
};

/**
 * Replays a scenario (with its generator's default seed, or another one) through the plugin's
 * pipeline (createTriagePipeline) on `knex` (a fresh database): its telemetry into the embedded
 * OTLP store, its Alertmanager payload through the intake (normalization, correlation, the
 * delivery transaction), then the enrich and reason jobs off the queue with the production
 * handlers and the configured (heuristic) reasoner. Scores the stored hypotheses against the
 * scenario's known root cause (`expected.rootCausePattern`, a case-insensitive regex that a
 * matching hypothesis's root cause contains).
 */
export async function replayScenario(
  name: string,
  knex: Knex,
  options: { seed?: number } = {},
): Promise<ScenarioReplay> {
  const nowMs = Date.now();
  const { scenario, alert, telemetry } = loadScenario(
    name,
    nowMs,
    options.seed,
  );
  // The plugin's pipeline, one attempt per job, on the example catalog; no scheduler, so no
  // background tasks.
  const pipeline = await createTriagePipeline(
    {
      config: new ConfigReader({ aiTriage: { workers: { maxAttempts: 1 } } }),
      database: { getClient: async () => knex },
      logger: silentLogger(),
      events: noEvents,
      auditor: noAudit,
    },
    { catalog: exampleCatalog },
  );
  const { triage, queue } = pipeline;
  await pipeline.telemetry.ingest({
    spans: parseOtlpTraces(telemetry.traces),
    metrics: parseOtlpMetrics(telemetry.metrics),
    logs: parseOtlpLogs(telemetry.logs),
  });
  const startsAt = new Date(
    nowMs - (scenario.timeline?.alertStartsMinutesAgo ?? 2) * 60_000,
  ).toISOString();
  const body = {
    ...alert,
    alerts: alert.alerts.map((a: object) => ({ ...a, startsAt })),
  };
  const accepted = await pipeline.ingestor.ingest(
    'alertmanager',
    body,
    Buffer.from(JSON.stringify(body)),
  );
  const [incidentId] = accepted.incidentIds;

  // The workers' job, one job at a time in this process.
  const handlers = pipeline.handlers!;
  for (let job = await queue.claim('replay', 60_000); job; ) {
    await handlers[job.type].handle(job);
    await queue.complete(job, 'replay');
    job = await queue.claim('replay', 60_000);
  }
  await pipeline.stop();

  const stored = await triage.listHypotheses(incidentId);
  const run = await triage.getLatestRun(incidentId);
  const context = (await triage.getLatestContext(incidentId))!.document;
  const pattern = new RegExp(scenario.expected.rootCausePattern, 'i');
  const index = stored.findIndex(h => pattern.test(h.rootCause));
  return {
    name,
    rootCauseKind: scenario.rootCause.kind,
    hypotheses: stored.map(h => ({
      rootCause: h.rootCause,
      affectedComponents: h.affectedComponents,
      confidence: h.confidence,
      probability: h.probability,
      ...(h.kind ? { kind: h.kind } : {}),
      ...(h.origin ? { origin: h.origin } : {}),
      reasoning: h.reasoning,
      diagnosticSteps: h.diagnosticSteps,
      evidenceIds: h.evidenceIds,
    })),
    insufficientEvidence: run?.insufficientEvidence ?? true,
    matchRank: index === -1 ? null : index + 1,
    context,
  };
}
