import {
  RootHealthService,
  coreServices,
  createServiceFactory,
  createServiceRef,
} from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';

/** What one check found: `fail` makes the process not ready, `warn` is reported only. */
export type HealthCheckResult = {
  status: 'ok' | 'warn' | 'fail';
} & JsonObject;

/**
 * The checks the AI triage plugin registers for its process's readiness: the database (fail
 * when unreachable), the queue's lag, the LLM circuit breaker and the telemetry providers'
 * last answers (reported, never failing: the pipeline degrades instead of stopping).
 */
export class PipelineHealth {
  private readonly checks = new Map<string, () => Promise<HealthCheckResult>>();

  register(name: string, check: () => Promise<HealthCheckResult>): void {
    this.checks.set(name, check);
  }

  /** Runs every check, each bounded by `timeoutMs`; a check that throws or hangs fails. */
  async check(
    timeoutMs = 3000,
  ): Promise<{ ready: boolean; checks: Record<string, HealthCheckResult> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          const result = await Promise.race([
            check(),
            new Promise<HealthCheckResult>(done => {
              timer = setTimeout(
                () =>
                  done({
                    status: 'fail',
                    message: `no answer within ${timeoutMs} ms`,
                  }),
                timeoutMs,
              );
            }),
          ]);
          return [name, result] as const;
        } catch (error) {
          return [
            name,
            { status: 'fail', message: String(error) } as HealthCheckResult,
          ] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return {
      ready: entries.every(([, result]) => result.status !== 'fail'),
      checks,
    };
  }
}

/**
 * The process's {@link PipelineHealth}, shared by the plugin (which registers its checks) and
 * {@link aiTriageRootHealthServiceFactory} (which reports them).
 *
 * @public
 */
export const aiTriagePipelineHealthServiceRef =
  createServiceRef<PipelineHealth>({
    id: 'ai-triage.pipeline-health',
    scope: 'root',
    defaultFactory: async service =>
      createServiceFactory({
        service,
        deps: {},
        factory: () => new PipelineHealth(),
      }),
  });

/**
 * Backstage's root health service (`/.backstage/health/v1/readiness` and `liveness`) with the
 * AI triage checks in its readiness: as Backstage's own, not ready before startup and once
 * shutdown begins (so `backend.lifecycle.serverShutdownDelay` drains the pod), and also not
 * ready while the plugin's database is unreachable; the payload reports every check (queue
 * lag, LLM breaker, telemetry providers). Add it to the backend with
 * `backend.add(aiTriageRootHealthServiceFactory)`.
 *
 * @public
 */
export const aiTriageRootHealthServiceFactory = createServiceFactory({
  service: coreServices.rootHealth,
  deps: {
    lifecycle: coreServices.rootLifecycle,
    pipeline: aiTriagePipelineHealthServiceRef,
  },
  async factory({ lifecycle, pipeline }): Promise<RootHealthService> {
    let state: 'init' | 'up' | 'down' = 'init';
    lifecycle.addStartupHook(() => {
      state = 'up';
    });
    lifecycle.addBeforeShutdownHook(() => {
      state = 'down';
    });
    return {
      async getLiveness() {
        return { status: 200, payload: { status: 'ok' } };
      },
      async getReadiness() {
        if (state !== 'up') {
          return {
            status: 503,
            payload: {
              status: 'error',
              message:
                state === 'init'
                  ? 'Backend has not started yet'
                  : 'Backend is shutting down',
            },
          };
        }
        const { ready, checks } = await pipeline.check();
        return {
          status: ready ? 200 : 503,
          payload: { status: ready ? 'ok' : 'error', aiTriage: checks },
        };
      },
    };
  },
});
