import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { CatalogEntityResolver } from './EntityResolver';
import { TestComponent, serviceComponent } from '../__testUtils__/entities';

function component(name: string, serviceName?: string) {
  return serviceComponent(name, { serviceName });
}

describe('CatalogEntityResolver', () => {
  let clock: number;
  const ttl = { foundMs: 60_000, notFoundMs: 10_000 };

  function resolverOver(entities: TestComponent[]) {
    const catalog = catalogServiceMock({ entities });
    const getEntities = jest.spyOn(catalog, 'getEntities');
    const resolver = CatalogEntityResolver.create({
      catalog,
      auth: mockServices.auth(),
      ttl,
      now: () => clock,
    });
    return { resolver, getEntities };
  }

  beforeEach(() => {
    clock = 1_000_000;
  });

  it('resolves by annotation first, then by name, else null', async () => {
    const { resolver } = resolverOver([
      component('checkout', 'checkout-svc'),
      component('payments'),
    ]);
    expect(await resolver.resolve('checkout-svc')).toBe(
      'component:default/checkout',
    );
    expect(await resolver.resolve('payments')).toBe(
      'component:default/payments',
    );
    expect(await resolver.resolve('nobody')).toBeNull();
  });

  it('caches a miss for its shorter time, then sees an annotation added meanwhile', async () => {
    const late = component('late');
    const { resolver } = resolverOver([late]);
    expect(await resolver.resolve('late-svc')).toBeNull();
    late.metadata.annotations['opentelemetry.io/service-name'] = 'late-svc';
    clock += ttl.notFoundMs - 1;
    expect(await resolver.resolve('late-svc')).toBeNull();
    clock += 1;
    expect(await resolver.resolve('late-svc')).toBe('component:default/late');
  });

  it('caches a found entity and looks it up again after its time, following a move', async () => {
    const first = component('old-home', 'svc');
    const second = component('new-home', 'spare');
    const { resolver, getEntities } = resolverOver([first, second]);
    expect(await resolver.resolve('svc')).toBe('component:default/old-home');
    first.metadata.annotations['opentelemetry.io/service-name'] = 'spare';
    second.metadata.annotations['opentelemetry.io/service-name'] = 'svc';
    clock += ttl.foundMs - 1;
    expect(await resolver.resolve('svc')).toBe('component:default/old-home');
    const lookups = getEntities.mock.calls.length;
    clock += 1;
    expect(await resolver.resolve('svc')).toBe('component:default/new-home');
    expect(getEntities.mock.calls.length).toBeGreaterThan(lookups);
  });

  it('runs one lookup for concurrent callers and does not cache a failure', async () => {
    const { resolver, getEntities } = resolverOver([
      component('checkout', 'checkout-svc'),
    ]);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => resolver.resolve('checkout-svc')),
    );
    expect(new Set(answers)).toEqual(new Set(['component:default/checkout']));
    expect(getEntities).toHaveBeenCalledTimes(1);

    getEntities.mockRejectedValueOnce(new Error('catalog down'));
    await expect(resolver.resolve('new-svc')).rejects.toThrow('catalog down');
    expect(await resolver.resolve('new-svc')).toBeNull();
  });
  it('gives up on a catalog that does not answer, and asks again next time', async () => {
    const catalog = catalogServiceMock({
      entities: [component('checkout', 'checkout-svc')],
    });
    const getEntities = jest.spyOn(catalog, 'getEntities');
    const resolver = CatalogEntityResolver.create({
      catalog,
      auth: mockServices.auth(),
      lookupTimeoutMs: 50,
    });
    getEntities.mockReturnValueOnce(new Promise(() => {}));
    await expect(resolver.resolve('checkout-svc')).rejects.toThrow(
      'Catalog lookup of service checkout-svc timed out after 50 ms',
    );
    expect(await resolver.resolve('checkout-svc')).toBe(
      'component:default/checkout',
    );
  });
});
