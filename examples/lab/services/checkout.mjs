// checkout: reserves stock (inventory), quotes shipping (shipping), charges (payments), then
// stores the order and publishes an order event (PostgreSQL outbox table read by fulfillment).
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import pg from 'pg';
import { callJson, log, readJson, serve, urlOf } from '../lib/service.mjs';

const pool = new pg.Pool({
  connectionString: process.env.LAB_DATABASE_URL,
  max: 5,
  connectionTimeoutMillis: 2000,
});
const tracer = trace.getTracer('checkout');
const version = process.env.LAB_VERSION;

function discountOf(cart) {
  // 1.5.0 expects the new coupon format ({ discount: { percent } }); carts still send the old one.
  if (version === '1.5.0')
    return cart.coupon ? cart.coupon.discount.percent / 100 : 0;
  return cart.coupon ? cart.coupon.percent / 100 : 0;
}

serve({
  'POST /orders': async req => {
    const cart = await readJson(req);
    const orderId = `ord_${Date.now().toString(36)}${Math.floor(
      Math.random() * 1e4,
    )}`;
    const discount = discountOf(cart);
    await callJson(`${urlOf('inventory')}/reserve`, {
      method: 'POST',
      body: { orderId, items: cart.items },
      timeoutMs: 3000,
    });
    const quote = await callJson(`${urlOf('shipping')}/quote`, {
      method: 'POST',
      body: { zip: cart.zip, items: cart.items },
      timeoutMs: 3000,
    });
    const amount = Math.round(
      cart.items.length * 1999 * (1 - discount) + quote.priceCents,
    );
    const charge = await callJson(`${urlOf('payments')}/charges`, {
      method: 'POST',
      body: { orderId, amountCents: amount, user: cart.user },
      timeoutMs: 5000,
    });
    await tracer.startActiveSpan(
      'order_events publish',
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'postgresql',
          'messaging.operation.type': 'send',
          'messaging.destination.name': 'order_events',
        },
      },
      async span => {
        const carrier = {};
        propagation.inject(context.active(), carrier);
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          await client.query(
            'INSERT INTO orders (id, amount_cents, status) VALUES ($1, $2, $3)',
            [orderId, amount, 'paid'],
          );
          await client.query(
            'INSERT INTO order_events (order_id, payload, traceparent) VALUES ($1, $2, $3)',
            [
              orderId,
              JSON.stringify({
                orderId,
                items: cart.items,
                chargeId: charge.chargeId,
              }),
              carrier.traceparent ?? null,
            ],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {});
          throw error;
        } finally {
          client.release();
          span.end();
        }
      },
    );
    log(
      'info',
      `order ${orderId} placed: ${cart.items.length} items, ${amount} cents`,
    );
    return { status: 201, body: { orderId, amountCents: amount } };
  },
});
