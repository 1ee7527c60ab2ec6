// inventory: stock levels and reservations in PostgreSQL through a pg connection pool.
import pg from 'pg';
import { effect, HttpError, log, readJson, serve } from '../lib/service.mjs';

const POOL_SIZE = 8;
const pool = new pg.Pool({
  connectionString: process.env.LAB_DATABASE_URL,
  max: POOL_SIZE,
  connectionTimeoutMillis: 1500,
});
const version = process.env.LAB_VERSION;
// A product-image cache that (with the fault) never evicts: the heap fills and GC runs hot.
const imageCache = new Map();

async function withClient(what, fn) {
  let client;
  try {
    client = await pool.connect();
  } catch (error) {
    log(
      'error',
      `could not acquire a database connection for ${what}: ${error.message} (pool size ${POOL_SIZE}, ${pool.waitingCount} waiting)`,
      {
        'exception.type': 'PoolTimeout',
      },
    );
    const failure = new HttpError(
      503,
      `database pool exhausted: ${error.message}`,
    );
    failure.logged = true;
    throw failure;
  }
  let leak = false;
  try {
    const result = await fn(client);
    // The bug: an early return for back-ordered items skips the release.
    leak = (effect('poolLeakRatio') ?? 0) > Math.random();
    return result;
  } finally {
    if (!leak) client.release();
  }
}

function rememberImages(skus) {
  const retainKb = effect('cacheRetainKb');
  if (!retainKb) return;
  for (const sku of skus) {
    imageCache.set(
      `${sku}-${Date.now()}-${Math.random()}`,
      Buffer.alloc(retainKb * 1024, 1)
        .toString('latin1')
        .split(''),
    );
  }
  // It does evict, but only far too late: the heap stays near its limit and GC runs constantly.
  const maxEntries = effect('cacheMaxEntries') ?? 300;
  for (const key of imageCache.keys()) {
    if (imageCache.size <= maxEntries) break;
    imageCache.delete(key);
  }
}

serve({
  'GET /stock': async (_req, url) => {
    const skus = (url.searchParams.get('skus') ?? '')
      .split(',')
      .filter(Boolean);
    rememberImages(skus);
    const rows = await withClient(
      'stock read',
      async client =>
        (
          await client.query(
            'SELECT sku, available FROM stock WHERE sku = ANY($1)',
            [skus],
          )
        ).rows,
    );
    return { items: rows };
  },
  'POST /reserve': async req => {
    const { orderId, items } = await readJson(req);
    rememberImages(items);
    await withClient(`reservation of ${orderId}`, async client => {
      await client.query('BEGIN');
      try {
        for (const sku of items) {
          if (version === '2.3.0') {
            // 2.3.0 checks movements case-insensitively: lower(sku) defeats the index.
            await client.query(
              'SELECT count(*) FROM stock_movements WHERE lower(sku) = lower($1)',
              [sku],
            );
          } else {
            await client.query(
              'SELECT count(*) FROM stock_movements WHERE sku = $1',
              [sku],
            );
          }
          const updated = await client.query(
            'UPDATE stock SET available = available - 1 WHERE sku = $1 AND available > 0 RETURNING available',
            [sku],
          );
          if (updated.rowCount === 0)
            throw new HttpError(409, `${sku} is out of stock`);
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    });
    return { reserved: items.length };
  },
});
