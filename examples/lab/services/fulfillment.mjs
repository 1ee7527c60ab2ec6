// fulfillment: consumes order events from the order_events table (an outbox used as a queue:
// FOR UPDATE SKIP LOCKED, a batch per transaction), one consumer span per message, linked to
// the producer's span.
import {
  context,
  metrics,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import pg from 'pg';
import { log, serve, sleep } from '../lib/service.mjs';

const pool = new pg.Pool({
  connectionString: process.env.LAB_DATABASE_URL,
  max: 2,
});
const tracer = trace.getTracer('fulfillment');
const meter = metrics.getMeter('fulfillment');
const processDuration = meter.createHistogram('messaging.process.duration', {
  unit: 's',
  description: 'Duration of processing one message',
});
let pending = 0;
meter
  .createObservableGauge('messaging.queue.depth', {
    description: 'Order events waiting to be processed',
  })
  .addCallback(result =>
    result.observe(pending, { 'messaging.destination.name': 'order_events' }),
  );

async function processBatch() {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      "SELECT id, order_id, payload, traceparent FROM order_events WHERE status = 'pending' ORDER BY id LIMIT 5 FOR UPDATE SKIP LOCKED",
    );
    for (const row of rows) {
      const parent = propagation.extract(context.active(), {
        traceparent: row.traceparent ?? '',
      });
      const link = trace.getSpanContext(parent);
      const started = performance.now();
      await tracer.startActiveSpan(
        'order_events process',
        {
          kind: SpanKind.CONSUMER,
          links: link ? [{ context: link }] : [],
          attributes: {
            'messaging.system': 'postgresql',
            'messaging.operation.type': 'process',
            'messaging.destination.name': 'order_events',
            'messaging.message.id': String(row.id),
          },
        },
        async span => {
          try {
            const event = JSON.parse(row.payload);
            await client.query(
              "UPDATE orders SET status = 'fulfilled' WHERE id = $1",
              [event.orderId],
            );
            await client.query(
              "UPDATE order_events SET status = 'done' WHERE id = $1",
              [row.id],
            );
            processDuration.record((performance.now() - started) / 1000, {
              'messaging.destination.name': 'order_events',
            });
          } catch (error) {
            span.recordException(error);
            span.setStatus({
              code: SpanStatusCode.ERROR,
              message: error.message,
            });
            processDuration.record((performance.now() - started) / 1000, {
              'messaging.destination.name': 'order_events',
              'error.type': error.name,
            });
            log(
              'error',
              `failed to process order event ${row.id} (order ${row.order_id}): ${error.message}; batch rolled back, will retry`,
              {
                'exception.type': error.name,
              },
            );
            throw error;
          } finally {
            span.end();
          }
        },
      );
    }
    await client.query('COMMIT');
    return rows.length;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    return -1;
  } finally {
    client.release();
  }
}

async function consume() {
  for (;;) {
    const handled = await processBatch().catch(() => -1);
    const { rows } = await pool
      .query(
        "SELECT count(*)::int AS n FROM order_events WHERE status = 'pending'",
      )
      .catch(() => ({ rows: [{ n: pending }] }));
    pending = rows[0].n;
    await sleep(handled > 0 ? 50 : handled < 0 ? 1000 : 250);
  }
}

serve({ 'GET /healthz': async () => ({ pending }) });
consume();
