import { callersOf, traceEdgeComponent } from './traceEdgeComponent';

const edge = (from: string, to: string) => ({ from, to });

describe('traceEdgeComponent', () => {
  it('places the origin at the sink of a call chain, with the path down to it', () => {
    const chain = [
      edge('frontend', 'checkout'),
      edge('checkout', 'payments'),
      edge('payments', 'ledger'),
    ];
    expect(traceEdgeComponent('frontend', chain)).toEqual({
      services: ['checkout', 'frontend', 'ledger', 'payments'],
      origin: 'ledger',
      path: ['frontend', 'checkout', 'payments', 'ledger'],
    });
    // From below, the origin is the same; the path from a service it does not call is direct.
    expect(traceEdgeComponent('ledger', chain)).toMatchObject({
      origin: 'ledger',
      path: ['ledger'],
    });
  });

  it('picks the sink most services call into, and ignores services not connected', () => {
    const edges = [
      edge('cart', 'payments'),
      edge('checkout', 'payments'),
      edge('orders', 'payments'),
      edge('checkout', 'mailer'),
      edge('search', 'index'),
    ];
    const component = traceEdgeComponent('cart', edges)!;
    expect(component.origin).toBe('payments');
    expect(component.services).toEqual([
      'cart',
      'checkout',
      'mailer',
      'orders',
      'payments',
    ]);
    expect(component.path).toEqual(['cart', 'payments']);
    expect(traceEdgeComponent('search', edges)!.origin).toBe('index');
  });

  it('finds no component for a service no other one calls or is called by', () => {
    expect(traceEdgeComponent('lonely', [edge('a', 'b')])).toBeUndefined();
    expect(traceEdgeComponent('a', [])).toBeUndefined();
  });

  it('still names an origin in a call cycle', () => {
    const component = traceEdgeComponent('a', [edge('a', 'b'), edge('b', 'a')]);
    expect(component?.services).toEqual(['a', 'b']);
    expect(['a', 'b']).toContain(component?.origin);
  });
});

describe('callersOf', () => {
  it('finds the services that call a service directly or not, not its callees or siblings', () => {
    const edges = [
      edge('web', 'checkout'),
      edge('checkout', 'payments'),
      edge('payments', 'provider'),
      edge('checkout', 'inventory'),
      edge('provider', 'payments'),
    ];
    expect([...callersOf('provider', edges)].sort()).toEqual([
      'checkout',
      'payments',
      'web',
    ]);
    expect([...callersOf('inventory', edges)].sort()).toEqual([
      'checkout',
      'web',
    ]);
    expect(callersOf('web', edges).size).toBe(0);
  });
});
