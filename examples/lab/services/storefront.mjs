// storefront: the shop's edge. Product pages read stock from inventory; checkouts go to checkout.
import { callJson, readJson, serve, urlOf } from '../lib/service.mjs';

serve({
  'GET /products': async (_req, url) => {
    const skus = url.searchParams.get('skus') ?? 'sku-1,sku-2,sku-3';
    const stock = await callJson(`${urlOf('inventory')}/stock?skus=${skus}`, {
      timeoutMs: 4000,
    });
    return { products: stock.items };
  },
  'POST /checkout': async req => {
    const cart = await readJson(req);
    const order = await callJson(`${urlOf('checkout')}/orders`, {
      method: 'POST',
      body: cart,
      timeoutMs: 8000,
    });
    return { status: 201, body: order };
  },
});
