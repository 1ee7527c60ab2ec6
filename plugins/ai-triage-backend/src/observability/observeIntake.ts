import express from 'express';
import Router from 'express-promise-router';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { ALERT_SOURCES } from '@ai-triage/plugin-ai-triage-common';
import { PipelineMetrics } from './PipelineMetrics';
import { aiTriageTracer, contextFromHeaders } from './tracing';

/** The plugin's mount path, for `http.route` and `url.path`. */
const BASE_PATH = '/api/ai-triage/webhooks';

/**
 * Wraps the webhook router (`/webhooks/{source}`) in the intake's span and metrics, from the
 * outside: a `POST /api/ai-triage/webhooks/{source}` server span (HTTP semantic conventions; an
 * internal span under the server span of an HTTP instrumentation when one runs) that is active
 * while the request is handled, so the jobs it queues carry its trace; and, once the answer is
 * sent, `ai_triage.intake.duration` and the delivery and alert counters, with the rejection
 * reason taken from the error that rejected it.
 */
export function observeIntake(
  webhooks: express.Router,
  metrics: PipelineMetrics,
): express.Router {
  const router = Router();
  router.use((req, res, next) => {
    const named = req.path.split('/')[1];
    // Only known sources label the metrics: any other path would add a series per path.
    const source = (ALERT_SOURCES as readonly string[]).includes(named)
      ? named
      : 'unknown';
    const started = Date.now();
    const active = context.active();
    const parent = trace.getSpan(active)
      ? active
      : contextFromHeaders(req.headers);
    const route = `${BASE_PATH}/${source}`;
    const span = aiTriageTracer().startSpan(
      trace.getSpan(active) ? `intake ${source}` : `${req.method} ${route}`,
      {
        kind: trace.getSpan(active) ? SpanKind.INTERNAL : SpanKind.SERVER,
        attributes: {
          'http.request.method': req.method,
          'http.route': route,
          'url.path': `${BASE_PATH}${req.path}`,
          'url.scheme': req.protocol,
          'ai_triage.alert.source': source,
          ...(req.get('user-agent')
            ? { 'user_agent.original': req.get('user-agent') }
            : {}),
        },
      },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    // Body parsing continues in the request stream's callbacks: bind them to the span too.
    context.bind(ctx, req);
    context.bind(ctx, res);

    const json = res.json.bind(res);
    let incidentIds: string[] = [];
    res.json = (body: unknown) => {
      const ids = (body as { incidentIds?: unknown })?.incidentIds;
      if (Array.isArray(ids)) {
        incidentIds = ids.map(String);
      }
      return json(body);
    };
    res.once('finish', () => {
      const status = res.statusCode;
      const rejected = status >= 400;
      const reason = rejected
        ? (res.locals.aiTriageRejection as string | undefined) ??
          `http_${status}`
        : undefined;
      span.setAttribute('http.response.status_code', status);
      span.setAttribute('ai_triage.incident.ids', incidentIds);
      if (incidentIds.length === 1) {
        span.setAttribute('incident.id', incidentIds[0]);
      }
      span.setAttribute(
        'ai_triage.intake.outcome',
        rejected ? 'rejected' : 'accepted',
      );
      if (reason) {
        span.setAttribute('ai_triage.intake.rejection_reason', reason);
        span.setAttribute('error.type', String(status));
      }
      if (status >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      span.end();
      const body = req.body as { alerts?: unknown } | undefined;
      metrics.recordDelivery({
        source,
        durationMs: Date.now() - started,
        alerts: Array.isArray(body?.alerts) ? body.alerts.length : 1,
        statusCode: status,
        rejectionReason: reason,
      });
    });
    context.with(ctx, next);
  });
  router.use(webhooks);
  router.use(
    (
      error: Error,
      _req: express.Request,
      res: express.Response,
      next: express.NextFunction,
    ) => {
      res.locals.aiTriageRejection = rejectionReason(error);
      next(error);
    },
  );
  return router;
}

/** A short, bounded name for why a delivery was rejected, from the error that rejected it. */
function rejectionReason(error: Error): string {
  switch (error?.name) {
    case 'InputError':
      return 'invalid_payload';
    case 'PayloadTooLargeError':
      return 'too_large';
    case 'UnsupportedMediaTypeError':
      return 'unsupported_media_type';
    case 'AuthenticationError':
      return 'unauthenticated';
    case 'NotAllowedError':
      return 'not_allowed';
    default:
      return 'error';
  }
}
