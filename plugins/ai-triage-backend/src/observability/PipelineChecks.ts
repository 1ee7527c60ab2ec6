import { CIRCUIT_STATE_NAMES } from './circuitStates';
import { PipelineHealth } from './PipelineHealth';

/** Oldest waiting job age over which the queue check warns (the KEDA age trigger's threshold). */
const QUEUE_LAG_WARN_SECONDS = 300;

type ProviderOutcome = { ok: boolean; at: string; error?: string };

/** What the queue check reads of the job queue (`JobQueue.stats()`). */
type QueueCheckSource = {
  stats(): Promise<{
    depth: number;
    dead: number;
    oldestAgeMs: number;
    oldestAgeMsByType: Partial<Record<string, number>>;
  }>;
};

type PipelineChecksOptions = {
  health: PipelineHealth;
  /** One round trip to the plugin's database; rejects when it is unreachable. */
  pingDatabase: () => Promise<void>;
  queue: QueueCheckSource;
};

/**
 * The plugin's readiness checks, registered on the process's {@link PipelineHealth}:
 * `database` (a round trip; fails when unreachable), `queue` (depth and oldest waiting job per
 * type; warns when a job has waited over 5 minutes), `llm` (the circuit breaker, when an LLM is
 * configured; warns when open) and `telemetryProviders` (each provider's last answer; warns
 * when the last one failed).
 */
export class PipelineChecks {
  static register(options: PipelineChecksOptions): PipelineChecks {
    return new PipelineChecks(options);
  }

  private readonly providers = new Map<string, ProviderOutcome>();
  private readonly health: PipelineHealth;

  private constructor(options: PipelineChecksOptions) {
    const { health, pingDatabase, queue } = options;
    this.health = health;
    health.register('database', async () => {
      const started = Date.now();
      await pingDatabase();
      return { status: 'ok', latencyMs: Date.now() - started };
    });
    health.register('queue', async () => {
      const stats = await queue.stats();
      const oldest = Math.round(stats.oldestAgeMs / 1000);
      return {
        status: oldest > QUEUE_LAG_WARN_SECONDS ? 'warn' : 'ok',
        depth: stats.depth,
        dead: stats.dead,
        oldestAgeSeconds: oldest,
        oldestAgeSecondsByType: Object.fromEntries(
          Object.entries(stats.oldestAgeMsByType).map(([type, ms]) => [
            type,
            Math.round((ms ?? 0) / 1000),
          ]),
        ),
      };
    });
  }

  /** Reports the LLM reasoner's circuit breaker. */
  watchBreaker(reasoner: { name: string; circuitState: number } | undefined) {
    if (!reasoner) {
      return;
    }
    this.health.register('llm', async () => {
      const state =
        CIRCUIT_STATE_NAMES[reasoner.circuitState as 0] ?? 'unknown';
      return {
        status: state === 'closed' ? 'ok' : 'warn',
        reasoner: reasoner.name,
        circuit: state,
        ...(state === 'closed'
          ? {}
          : { message: 'the heuristic answers meanwhile (degraded)' }),
      };
    });
  }

  /** Records a telemetry provider's answer (called by the provider's tracing wrapper). */
  recordProvider(name: string, error?: unknown): void {
    if (this.providers.size === 0) {
      this.health.register('telemetryProviders', async () => {
        const failing = [...this.providers.values()].some(p => !p.ok);
        return {
          status: failing ? 'warn' : 'ok',
          providers: Object.fromEntries(this.providers),
        };
      });
    }
    this.providers.set(name, {
      ok: !error,
      at: new Date().toISOString(),
      ...(error ? { error: String((error as Error)?.message ?? error) } : {}),
    });
  }
}
