import { mockServices } from '@backstage/backend-test-utils';
import {
  ContextDocument,
  Localization,
} from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import { ingestItem, testAlert } from '../__testUtils__/alerts';
import { callChainTraces } from '../__testUtils__/callChainTelemetry';
import { testContext } from '../__testUtils__/contexts';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { DatabaseFaultGroupStore } from '../database/DatabaseFaultGroupStore';
import { DatabaseIncidentStore } from '../database/DatabaseIncidentStore';
import { DatabaseRetriageStore } from '../database/DatabaseRetriageStore';
import { applyDatabaseMigrations } from '../database/migrations';
import { DatabaseTelemetryStore } from '../telemetry/DatabaseTelemetryStore';
import { parseOtlpTraces } from '../telemetry/otlp';
import { FaultGrouper } from './FaultGrouper';

jest.setTimeout(60_000);

/** A localization from `path[0]` down to its last service, the origin. */
function localization(path: string[], extra: string[] = []): Localization {
  const origin = path[path.length - 1];
  return {
    origin,
    path,
    suspects: [...path, ...extra].map((service, hops) => ({
      service,
      entityRef: null,
      hops,
      anomalyScore: service === origin ? 9 : 1,
      selfTimeP95Ms: null,
      baselineSelfTimeP95Ms: null,
      originatingErrors: service === origin ? 10 : 0,
      passedOnErrors: service === origin ? 0 : 10,
      kind: service === origin ? 'errors' : null,
      changed: service === origin,
      baselineKnown: true,
      evidenceIds: [],
    })),
    edges: path.slice(1).map((to, i) => ({
      from: path[i],
      to,
      source: 'traces' as const,
      callCount: 10,
      errorRate: 0.5,
      baselineErrorRate: 0,
      p95Ms: 100,
      baselineP95Ms: 10,
      changed: ['errors' as const],
    })),
    maxDepth: 4,
    method: 'test',
  };
}

function localized(service: string, path: string[]): ContextDocument {
  return testContext({
    serviceName: service,
    localization: localization(path),
  });
}

/** A shop's calls: storefront and checkout call inventory, which calls the database; storefront also calls shipping. */
const SHOP_CALLS = [
  ['storefront', 'inventory', 'orders-db'],
  ['checkout', 'inventory'],
  ['storefront', 'shipping'],
];

/** Spans of requests down each chain of services, in the embedded store. */
async function ingestCalls(knex: Knex, chains: string[][]) {
  const telemetry = DatabaseTelemetryStore.create({ knex });
  for (const chain of chains) {
    await telemetry.ingest({
      spans: parseOtlpTraces(callChainTraces(chain, { nowMs: Date.now() })),
    });
  }
}

describe('FaultGrouper', () => {
  const databases = createTestDatabases();

  async function setUp(databaseId: Parameters<typeof databases.init>[0]) {
    const knex = await databases.init(databaseId);
    await applyDatabaseMigrations(knex);
    const incidents = DatabaseIncidentStore.create({
      knex,
      reopenWindowMs: 3_600_000,
      maxAttempts: 3,
    });
    const retriaged: string[] = [];
    const grouper = FaultGrouper.create({
      store: DatabaseFaultGroupStore.create({ knex }),
      incidents: {
        requestRetriage: async (id, options) => {
          retriaged.push(id);
          return incidents.requestRetriage(id, options);
        },
      },
      windowMs: 15 * 60_000,
      logger: mockServices.logger.mock(),
    });
    /** Resolves the incident of each service (its alert stops firing). */
    const resolve = async (...services: string[]) => {
      await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: `r-${services.join('-')}-${Math.random()}`,
        alerts: services.map(service =>
          ingestItem(
            testAlert({
              fingerprint: `fp-${service}`,
              name: 'HighErrorRate',
              status: 'resolved',
              endsAt: new Date().toISOString(),
              labels: { alertname: 'HighErrorRate', service },
              resource: { 'service.name': service },
            }),
          ),
        ),
      });
    };
    /** Opens one incident per service, firing now; returns their ids by service. */
    const open = async (...services: string[]) => {
      const result = await incidents.ingest({
        source: 'alertmanager',
        deliveryKey: `d-${services.join('-')}-${Math.random()}`,
        alerts: services.map(service =>
          ingestItem(
            testAlert({
              fingerprint: `fp-${service}`,
              name: 'HighErrorRate',
              labels: { alertname: 'HighErrorRate', service },
              resource: { 'service.name': service },
              startsAt: new Date().toISOString(),
            }),
          ),
        ),
      });
      const ids: Record<string, string> = {};
      for (const id of result.incidentIds) {
        ids[(await incidents.getIncident(id))!.serviceName] = id;
      }
      return ids;
    };
    /** Opens the service's incident and groups it before and after an enrichment giving `document`. */
    const triaged = async (service: string, document: ContextDocument) => {
      const { [service]: id } = await open(service);
      await grouper.beforeEnrichment(id);
      await grouper.afterEnrichment(id, document);
      return id;
    };
    /** The incident's fault group id (null: in none). */
    const groupOf = async (id: string) =>
      (await incidents.getIncident(id))!.faultGroupId;
    return {
      knex,
      incidents,
      grouper,
      open,
      triaged,
      resolve,
      retriaged,
      groupOf,
    };
  }

  it.each(databases.eachSupportedId())(
    'groups by the localized origin: services on the path join unenriched, the origin takes the lead, another origin is another group, %p',
    async databaseId => {
      const { incidents, grouper, open, retriaged } = await setUp(databaseId);
      const { frontend } = await open('frontend');

      // No group, no calls seen: frontend is enriched alone and localized to ledger.
      expect(await grouper.beforeEnrichment(frontend)).toBe(true);
      expect(
        await grouper.afterEnrichment(
          frontend,
          localized('frontend', ['frontend', 'checkout', 'payments', 'ledger']),
        ),
      ).toBe(true);
      let incident = await incidents.getIncident(frontend);
      expect(incident).toMatchObject({
        probableOrigin: 'ledger',
        faultGroupLead: true,
        faultGroupSize: 1,
      });

      // checkout lies on the path: it joins and is neither enriched nor reasoned over.
      const { checkout } = await open('checkout');
      expect(await grouper.beforeEnrichment(checkout)).toBe(false);
      expect(await grouper.followsLead(checkout)).toBe(true);
      expect(await grouper.triageIncidentOf(checkout)).toBe(frontend);

      // The origin's own incident arrives: it leads and is triaged; the group is the same.
      const { ledger } = await open('ledger');
      expect(await grouper.beforeEnrichment(ledger)).toBe(true);
      expect(await grouper.triageIncidentOf(checkout)).toBe(ledger);
      expect(await grouper.followsLead(frontend)).toBe(true);
      expect(
        await grouper.afterEnrichment(ledger, localized('ledger', ['ledger'])),
      ).toBe(true);
      incident = await incidents.getIncident(frontend);
      expect(incident).toMatchObject({
        probableOrigin: 'ledger',
        faultGroupLead: false,
        faultGroupSize: 3,
      });
      expect((await incidents.getIncident(ledger))!.faultGroupId).toBe(
        incident!.faultGroupId,
      );

      // search localizes to index: a group of its own.
      const { search } = await open('search');
      expect(await grouper.beforeEnrichment(search)).toBe(true);
      expect(
        await grouper.afterEnrichment(
          search,
          localized('search', ['search', 'index']),
        ),
      ).toBe(true);
      const searchIncident = await incidents.getIncident(search);
      expect(searchIncident).toMatchObject({
        probableOrigin: 'index',
        faultGroupLead: true,
      });
      expect(searchIncident!.faultGroupId).not.toBe(incident!.faultGroupId);
      expect(retriaged).toEqual([]);

      // Grouped rows: one per group.
      const rows = await incidents.listIncidents({
        groupByFault: true,
        limit: 10,
      });
      expect(rows.map(r => r.serviceName).sort()).toEqual(['ledger', 'search']);
      expect(await incidents.countIncidents({ groupByFault: true })).toBe(2);
    },
  );

  it.each(databases.eachSupportedId())(
    'merges incidents enriched at once that localize to the same origin, reasoning over one, %p',
    async databaseId => {
      const { knex, grouper, open, incidents } = await setUp(databaseId);
      const { cart, checkout } = await open('cart', 'checkout');
      // Both enriched before either was grouped (no calls between them were seen).
      expect(await grouper.beforeEnrichment(cart)).toBe(true);
      expect(await grouper.beforeEnrichment(checkout)).toBe(true);
      const reasons = [
        await grouper.afterEnrichment(
          cart,
          localized('cart', ['cart', 'payments']),
        ),
        await grouper.afterEnrichment(
          checkout,
          localized('checkout', ['checkout', 'payments']),
        ),
      ];
      expect(reasons).toEqual([true, false]);
      const group = (await incidents.getIncident(cart))!.faultGroupId;
      expect((await incidents.getIncident(checkout))!.faultGroupId).toBe(group);
      // cart's own job is still active, so leading adds no second one.
      expect(
        await knex('jobs').where('incident_id', cart).pluck('type'),
      ).toEqual(['enrich']);
    },
  );

  it.each(databases.eachSupportedId())(
    "gathers no incident whose alerts started after the placing incident's had ended, %p",
    async databaseId => {
      const { knex, grouper, open, resolve, groupOf } = await setUp(databaseId);
      await ingestCalls(knex, [['storefront', 'checkout']]);
      const { checkout } = await open('checkout');
      expect(await grouper.beforeEnrichment(checkout)).toBe(true);
      // checkout's alert ends while it is enriched; then storefront's fires, and cart's, both
      // callers of checkout, cart's before checkout's ended.
      const { cart } = await open('cart');
      await ingestCalls(knex, [['cart', 'checkout']]);
      await resolve('checkout');
      await new Promise(done => setTimeout(done, 10));
      const { storefront } = await open('storefront');
      const nowMs = Date.now();
      expect(
        await grouper.afterEnrichment(checkout, {
          ...localized('checkout', ['checkout', 'payments']),
          window: {
            from: new Date(nowMs - 60_000).toISOString(),
            to: new Date(nowMs + 60_000).toISOString(),
          },
        }),
      ).toBe(true);
      const group = await groupOf(checkout);
      expect(group).not.toBeNull();
      expect(await groupOf(cart)).toBe(group);
      // The view did not see storefront's alert: its incident is triaged on its own.
      expect(await groupOf(storefront)).toBeNull();
    },
  );

  it.each(databases.eachSupportedId())(
    "a member whose alert fires again stays while its lead's alerts fired when it started, else starts afresh, %p",
    async databaseId => {
      const { grouper, open, resolve, incidents, triaged } = await setUp(
        databaseId,
      );
      const frontend = await triaged(
        'frontend',
        localized('frontend', ['frontend', 'checkout', 'payments']),
      );
      const { checkout } = await open('checkout');
      expect(await grouper.beforeEnrichment(checkout)).toBe(false);
      const group = (await incidents.getIncident(frontend))!.faultGroupId;

      // checkout's alert resolves and fires again while the lead's still fires: the same fault.
      await resolve('checkout');
      await open('checkout');
      expect(await grouper.beforeEnrichment(checkout)).toBe(false);
      expect((await incidents.getIncident(checkout))!.faultGroupId).toBe(group);

      // Both resolve; checkout fires again after the lead's alerts ended: the fault the group's
      // view saw had ended, so it is triaged on its own.
      await resolve('frontend', 'checkout');
      await new Promise(done => setTimeout(done, 10));
      await open('checkout');
      expect(await grouper.beforeEnrichment(checkout)).toBe(true);
      expect((await incidents.getIncident(checkout))!.faultGroupId).toBeNull();
      // A new incident of the old origin does not join the ended group either.
      const { payments } = await open('payments');
      expect(await grouper.beforeEnrichment(payments)).toBe(true);
      expect((await incidents.getIncident(payments))!.faultGroupId).not.toBe(
        group,
      );
    },
  );

  it.each(databases.eachSupportedId())(
    'hands the lead of a resolved group to an open incident its fault joins, so the fault of now is triaged, %p',
    async databaseId => {
      const { grouper, open, resolve, incidents, triaged } = await setUp(
        databaseId,
      );
      const frontend = await triaged(
        'frontend',
        localized('frontend', ['frontend', 'checkout', 'payments']),
      );
      await resolve('frontend');
      // A caller alerts later and its own view finds the same origin: it joins the group, whose
      // resolved lead would never be triaged again, and leads it.
      const { web } = await open('web');
      expect(await grouper.beforeEnrichment(web)).toBe(true);
      expect(
        await grouper.afterEnrichment(
          web,
          localized('web', ['web', 'frontend', 'checkout', 'payments']),
        ),
      ).toBe(true);
      expect(await incidents.getIncident(web)).toMatchObject({
        probableOrigin: 'payments',
        faultGroupLead: true,
        faultGroupSize: 2,
      });
      expect(await incidents.getIncident(frontend)).toMatchObject({
        faultGroupLead: false,
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'leaves a group whose incidents all ended before the onset apart from a fault seen after it, %p',
    async databaseId => {
      const { knex, grouper, open, resolve, groupOf, triaged } = await setUp(
        databaseId,
      );
      const frontend = await triaged(
        'frontend',
        localized('frontend', ['frontend', 'checkout', 'payments']),
      );
      await resolve('frontend');
      await new Promise(done => setTimeout(done, 10));
      const endedMs = Date.now();
      await new Promise(done => setTimeout(done, 10));
      // web's view finds the same origin, its onset after frontend's alerts all ended.
      const { web } = await open('web');
      expect(await grouper.beforeEnrichment(web)).toBe(true);
      expect(
        await grouper.afterEnrichment(web, {
          ...localized('web', ['web', 'frontend', 'checkout', 'payments']),
          window: {
            from: new Date(endedMs).toISOString(),
            to: new Date(endedMs + 60_000).toISOString(),
          },
        }),
      ).toBe(true);
      expect(await groupOf(web)).not.toBeNull();
      expect(await groupOf(web)).not.toBe(await groupOf(frontend));
      expect(await groupsIn(knex)).toBe(2);
    },
  );

  it.each(databases.eachSupportedId())(
    'places no resolved incident before its enrichment, and only a shown triage waits for evidence, %p',
    async databaseId => {
      const { knex, grouper, open, resolve, groupOf, triaged } = await setUp(
        databaseId,
      );
      const frontend = await triaged(
        'frontend',
        localized('frontend', ['frontend', 'checkout', 'payments']),
      );
      const group = await groupOf(frontend);
      // cart calls payments through checkout, but its alert ended before it is triaged (again):
      // the calls of now are no evidence of what raised it.
      await ingestCalls(knex, [['cart', 'checkout', 'payments']]);
      const { cart } = await open('cart');
      await resolve('cart');
      expect(await grouper.beforeEnrichment(cart)).toBe(true);
      expect(await groupOf(cart)).toBeNull();
      // An open one joins, unenriched.
      const { checkout } = await open('checkout');
      expect(await grouper.beforeEnrichment(checkout)).toBe(false);
      expect(await groupOf(checkout)).toBe(group);

      // Both had watched for payments' spans (checkout before it joined): only the lead's
      // triage, the one shown, is triaged again when they arrive.
      const retriage = DatabaseRetriageStore.create({
        knex,
        maxAttempts: 3,
        debounceMs: 0,
        maxPerIncident: 3,
      });
      await knex('jobs').update({ status: 'done' });
      for (const id of [frontend, checkout]) {
        await retriage.watchEvidence(id, 0, [
          { serviceName: 'payments', signal: 'spans' },
        ]);
      }
      expect(
        await retriage.telemetryArrived([
          { serviceName: 'payments', signal: 'spans', latestMs: Date.now() },
        ]),
      ).toEqual([frontend]);
    },
  );

  it.each(databases.eachSupportedId())(
    'merges the groups of one fault: an origin that only passes it on (even resolved), a group placed by calls alone; a sibling origin stays apart, %p',
    async databaseId => {
      const { knex, incidents, grouper, open, resolve, groupOf, triaged } =
        await setUp(databaseId);

      // checkout alerts first and, before the telemetry of the fault is in, is localized to
      // itself; its alert resolves.
      const checkout = await triaged(
        'checkout',
        localized('checkout', ['checkout']),
      );
      await resolve('checkout');

      // storefront's walk goes through checkout and inventory to orders-db: checkout's group
      // (resolved, in the window) is this fault.
      const { storefront } = await open('storefront');
      expect(await grouper.beforeEnrichment(storefront)).toBe(true);
      await grouper.afterEnrichment(
        storefront,
        localized('storefront', [
          'storefront',
          'checkout',
          'inventory',
          'orders-db',
        ]),
      );
      const fault = await groupOf(storefront);
      expect(await groupOf(checkout)).toBe(fault);
      expect(await incidents.getIncident(storefront)).toMatchObject({
        probableOrigin: 'orders-db',
        faultGroupLead: true,
        faultGroupSize: 2,
      });

      // search stops at checkout (it calls it, and saw no deeper change): that group went
      // through checkout to orders-db, so search's fault is that one, led as before.
      const { search } = await open('search');
      expect(await grouper.beforeEnrichment(search)).toBe(true);
      expect(
        await grouper.afterEnrichment(
          search,
          localized('search', ['search', 'checkout']),
        ),
      ).toBe(false);
      expect(await groupOf(search)).toBe(fault);
      expect(await incidents.getIncident(search)).toMatchObject({
        probableOrigin: 'orders-db',
        faultGroupLead: false,
      });

      // Calls between web and api (no localization yet) place a group at api ...
      await DatabaseTelemetryStore.create({ knex }).ingest({
        spans: parseOtlpTraces(
          callChainTraces(['web', 'api', 'db'], { nowMs: Date.now() }),
        ),
      });
      const { web, api } = await open('web', 'api');
      await grouper.beforeEnrichment(web);
      const byCalls = await groupOf(web);
      expect(byCalls).toBe(await groupOf(api));
      expect(byCalls).not.toBe(fault);
      // ... which a localization that saw api (a suspect on its graph) absorbs: both call db.
      const gateway = await triaged(
        'gateway',
        testContext({
          serviceName: 'gateway',
          localization: localization(['gateway', 'db'], ['api']),
        }),
      );
      expect(await groupOf(gateway)).toBe(await groupOf(web));
      expect(await groupOf(api)).toBe(await groupOf(web));
      expect(await incidents.getIncident(gateway)).toMatchObject({
        probableOrigin: 'db',
        faultGroupSize: 3,
      });

      // payments changed on its own in the same minutes, on a sibling branch: another group.
      const payments = await triaged(
        'payments',
        localized('payments', ['payments']),
      );
      expect(await groupOf(payments)).not.toBe(fault);
      expect(await groupOf(payments)).not.toBe(await groupOf(gateway));
      expect(await groupsIn(knex)).toBe(3);
    },
  );

  it.each(databases.eachSupportedId())(
    'dissolves a group guessed from calls when its lead finds no changed service; the fault found later gathers the callers, not the bystander, %p',
    async databaseId => {
      const { knex, grouper, open, resolve, incidents, retriaged, groupOf } =
        await setUp(databaseId);
      await ingestCalls(knex, [
        ['storefront', 'checkout', 'inventory'],
        ['checkout', 'payments', 'payment-provider'],
      ]);

      // Noise alerts before the fault: the calls between them place a guess at inventory, the
      // sink they call into, which leads.
      const noise = await open('storefront', 'checkout', 'inventory');
      const leads = [];
      for (const service of ['storefront', 'checkout', 'inventory']) {
        leads.push(await grouper.beforeEnrichment(noise[service]));
      }
      expect(leads.filter(Boolean)).toHaveLength(1);
      const guessed = await grouper.groupOf(noise.checkout);
      expect(guessed).toMatchObject({ method: 'trace-edges' });
      const lead = guessed!.leadIncidentId;

      // checkout's own enrich job is still running (it decided to follow the lead); storefront's
      // is still queued.
      await knex('jobs')
        .where({ incident_id: noise.checkout, type: 'enrich' })
        .update({ status: 'running' });
      const enrichJobs = async (id: string) =>
        (
          await knex('jobs')
            .where({ incident_id: id, type: 'enrich' })
            .orderBy('id')
            .pluck('status')
        ).map(String);

      // Its localization finds no service whose own behaviour changed: no fault, no group; the
      // members it spoke for are triaged on their own.
      expect(
        await grouper.afterEnrichment(
          lead,
          testContext({
            serviceName: 'inventory',
            localization: { ...localization(['inventory']), origin: null },
          }),
        ),
      ).toBe(true);
      expect(await groupsIn(knex)).toBe(0);
      // A new enrich job behind the running one; the queued one does the work itself.
      expect(await enrichJobs(noise.checkout)).toEqual(['running', 'queued']);
      expect(await enrichJobs(noise.storefront)).toEqual(['queued']);
      expect(retriaged.sort()).toEqual(
        Object.values(noise)
          .filter(id => id !== lead)
          .sort(),
      );
      await incidents.setTriageState(lead, 'triaged');

      // Three more callers of checkout, triaged on their own without finding a fault: gateway's
      // alert still fires, web's fired and resolved before the fault's onset, mobile's resolved
      // after it.
      const { gateway, web, mobile } = await open('gateway', 'web', 'mobile');
      await ingestCalls(knex, [
        ['gateway', 'checkout'],
        ['web', 'checkout'],
        ['mobile', 'checkout'],
      ]);
      await resolve('web');
      for (const id of [gateway, web, mobile]) {
        await incidents.setTriageState(id, 'triaged');
      }
      await new Promise(done => setTimeout(done, 20));
      const onset = new Date().toISOString();
      await new Promise(done => setTimeout(done, 20));
      await resolve('mobile');

      // The fault: payments' alert, localized to the provider it calls. The callers' incidents
      // waiting for their triage join its group, and so do gateway's open one (it calls the
      // provider through checkout and payments) and mobile's, whose alert still fired at the
      // onset; inventory, which does not call the provider, stays apart, as does web's, which
      // ended before the onset.
      const { payments } = await open('payments');
      expect(await grouper.beforeEnrichment(payments)).toBe(true);
      expect(
        await grouper.afterEnrichment(payments, {
          ...localized('payments', ['payments', 'payment-provider']),
          window: { from: onset, to: new Date().toISOString() },
        }),
      ).toBe(true);
      const fault = await groupOf(payments);
      expect(fault).not.toBeNull();
      expect(await groupOf(noise.checkout)).toBe(fault);
      expect(await groupOf(noise.storefront)).toBe(fault);
      expect(await groupOf(noise.inventory)).toBeNull();
      expect(await groupOf(gateway)).toBe(fault);
      expect(await groupOf(mobile)).toBe(fault);
      expect(await groupOf(web)).toBeNull();
      expect(await incidents.getIncident(noise.storefront)).toMatchObject({
        probableOrigin: 'payment-provider',
        faultGroupLead: false,
      });
      expect(await groupsIn(knex)).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'takes into a localized group only the incidents its fault can have raised: a callee its walk looked at stays apart, %p',
    async databaseId => {
      const { knex, grouper, open, groupOf } = await setUp(databaseId);
      await ingestCalls(knex, [
        ['storefront', 'checkout', 'shipping', 'carrier-api'],
        ['storefront', 'inventory', 'orders-db'],
      ]);

      const { storefront } = await open('storefront');
      expect(await grouper.beforeEnrichment(storefront)).toBe(true);
      // inventory's alert (its own noise) arrives while storefront is enriched.
      const { inventory } = await open('inventory');
      // storefront's walk goes down to the carrier; inventory, which storefront also calls, is
      // a suspect it looked at and ruled out.
      expect(
        await grouper.afterEnrichment(
          storefront,
          testContext({
            serviceName: 'storefront',
            localization: localization(
              ['storefront', 'checkout', 'shipping', 'carrier-api'],
              ['inventory'],
            ),
          }),
        ),
      ).toBe(true);
      const fault = await groupOf(storefront);
      expect(fault).not.toBeNull();
      expect((await grouper.groupOf(storefront))!.services).toContain(
        'inventory',
      );
      // inventory does not call the carrier: the fault cannot have raised its incident, which
      // is neither gathered nor joins later, and is triaged on its own.
      expect(await groupOf(inventory)).toBeNull();
      expect(await grouper.beforeEnrichment(inventory)).toBe(true);
      expect(await groupOf(inventory)).toBeNull();
      // shipping, on the path, joins without being enriched; so does checkout.
      const { shipping, checkout } = await open('shipping', 'checkout');
      expect(await grouper.beforeEnrichment(shipping)).toBe(false);
      expect(await grouper.beforeEnrichment(checkout)).toBe(false);
      expect(await groupOf(shipping)).toBe(fault);
      expect(await groupOf(checkout)).toBe(fault);
      expect(await groupsIn(knex)).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'places a fault at the deepest origin across views: a group at a caller of it merges in, in either order, %p',
    async databaseId => {
      const { knex, grouper, open, incidents, groupOf, triaged } = await setUp(
        databaseId,
      );
      await ingestCalls(knex, SHOP_CALLS);

      // storefront's walk found its own time changed and went no deeper.
      const storefront = await triaged(
        'storefront',
        localized('storefront', ['storefront']),
      );
      expect(await groupsIn(knex)).toBe(1);
      // inventory's finds the database: storefront calls it through inventory, so the
      // database is the fault's origin and storefront's group merges in.
      const inventory = await triaged(
        'inventory',
        localized('inventory', ['inventory', 'orders-db']),
      );
      const fault = await groupOf(inventory);
      expect(await groupOf(storefront)).toBe(fault);
      expect(await incidents.getIncident(storefront)).toMatchObject({
        probableOrigin: 'orders-db',
        faultGroupLead: false,
      });
      expect(await groupsIn(knex)).toBe(1);
      // Then web alerts (no spans of its calls are in; the catalog says it calls storefront)
      // and its walk stops at storefront: storefront calls the database, so web's fault is
      // that group's.
      const { web } = await open('web');
      expect(await grouper.beforeEnrichment(web)).toBe(true);
      expect(
        await grouper.afterEnrichment(
          web,
          localized('web', ['web', 'storefront']),
        ),
      ).toBe(false);
      expect(await groupOf(web)).toBe(fault);
      expect(await incidents.getIncident(web)).toMatchObject({
        probableOrigin: 'orders-db',
        faultGroupLead: false,
      });
      expect(await groupsIn(knex)).toBe(1);
    },
  );

  /**
   * storefront's own view: its own errors changed, and its calls to inventory (its only way to
   * the database) compared with a known baseline did not; inventory's own behaviour changed or not.
   */
  function storefrontCallsUnchanged(
    inventoryChanged: boolean,
  ): ContextDocument {
    const view = localization(['storefront'], ['inventory']);
    view.suspects[1].changed = inventoryChanged;
    view.edges = [
      {
        from: 'storefront',
        to: 'inventory',
        source: 'traces',
        callCount: 12,
        errorRate: 0,
        baselineErrorRate: 0,
        p95Ms: 40,
        baselineP95Ms: 45,
        changed: [],
      },
    ];
    return testContext({ serviceName: 'storefront', localization: view });
  }

  it.each(databases.eachSupportedId())(
    'keeps apart a group whose view found its calls towards the deeper origin unchanged, in either order, %p',
    async databaseId => {
      const { knex, grouper, incidents, groupOf, triaged } = await setUp(
        databaseId,
      );
      await ingestCalls(knex, SHOP_CALLS);

      // storefront's errors are its own: the fault behind inventory did not reach it.
      const storefront = await triaged(
        'storefront',
        storefrontCallsUnchanged(false),
      );
      const inventory = await triaged(
        'inventory',
        localized('inventory', ['inventory', 'orders-db']),
      );
      expect(await groupOf(storefront)).not.toBe(await groupOf(inventory));
      expect(await incidents.getIncident(storefront)).toMatchObject({
        probableOrigin: 'storefront',
        faultGroupLead: true,
      });
      expect(await incidents.getIncident(inventory)).toMatchObject({
        probableOrigin: 'orders-db',
      });
      expect(await groupsIn(knex)).toBe(2);

      // The other order: the database's group is there first, and storefront's view is not
      // taken for a knock-on of it.
      const checkout = await triaged(
        'checkout',
        localized('checkout', ['checkout', 'inventory', 'orders-db']),
      );
      await grouper.afterEnrichment(
        storefront,
        storefrontCallsUnchanged(false),
      );
      expect(await incidents.getIncident(storefront)).toMatchObject({
        probableOrigin: 'storefront',
      });
      expect(await groupOf(checkout)).toBe(await groupOf(inventory));
      expect(await groupsIn(knex)).toBe(2);
    },
  );

  it.each(databases.eachSupportedId())(
    'merges a group whose calls towards the deeper origin looked unchanged when its view saw the callee itself change, %p',
    async databaseId => {
      const { knex, incidents, groupOf, triaged } = await setUp(databaseId);
      await ingestCalls(knex, SHOP_CALLS);
      // storefront's few calls to inventory stayed within their noise, but its view saw
      // inventory's own time change: nothing is ruled out, and the deepest origin wins.
      const storefront = await triaged(
        'storefront',
        storefrontCallsUnchanged(true),
      );
      const inventory = await triaged(
        'inventory',
        localized('inventory', ['inventory', 'orders-db']),
      );
      expect(await groupOf(storefront)).toBe(await groupOf(inventory));
      expect(await incidents.getIncident(storefront)).toMatchObject({
        probableOrigin: 'orders-db',
      });
      expect(await groupsIn(knex)).toBe(1);
    },
  );

  it.each(databases.eachSupportedId())(
    'releases a member of a group guessed from calls that does not call the origin its lead found, %p',
    async databaseId => {
      const { knex, grouper, open, retriaged, groupOf } = await setUp(
        databaseId,
      );
      await ingestCalls(knex, SHOP_CALLS);
      // Four alerts together: the calls between them place a guess at inventory, the service
      // most of them call into; shipping joins it through storefront.
      const storm = await open(
        'storefront',
        'checkout',
        'inventory',
        'shipping',
      );
      for (const id of Object.values(storm)) {
        await grouper.beforeEnrichment(id);
      }
      const guessed = await grouper.groupOf(storm.shipping);
      expect(guessed).toMatchObject({
        method: 'trace-edges',
        leadIncidentId: storm.inventory,
      });
      // The lead finds the database. shipping does not call it: the fault cannot have raised
      // its incident, which is released and triaged on its own.
      await grouper.afterEnrichment(
        storm.inventory,
        localized('inventory', ['inventory', 'orders-db']),
      );
      expect(await groupOf(storm.shipping)).toBeNull();
      expect(retriaged).toEqual([storm.shipping]);
      for (const service of ['storefront', 'checkout', 'inventory']) {
        expect(await groupOf(storm[service])).toBe(guessed!.id);
      }
      expect(await grouper.groupOf(storm.inventory)).toMatchObject({
        method: 'localization',
        origin: 'orders-db',
      });
    },
  );

  it.each(databases.eachSupportedId())(
    'lets concurrent decisions over one storm form one group, %p',
    async databaseId => {
      const { knex, grouper, open, incidents } = await setUp(databaseId);
      await DatabaseTelemetryStore.create({ knex }).ingest({
        spans: parseOtlpTraces(
          callChainTraces(['frontend', 'checkout', 'payments', 'ledger'], {
            nowMs: Date.now(),
          }),
        ),
      });
      const ids = await open('frontend', 'checkout', 'payments', 'ledger');
      const decisions = await Promise.all(
        Object.values(ids).map(id => grouper.beforeEnrichment(id)),
      );
      // Exactly one of them, ledger's (the sink of the calls), is enriched.
      expect(decisions.filter(Boolean)).toHaveLength(1);
      const groupIds = new Set<string | null | undefined>();
      for (const id of Object.values(ids)) {
        groupIds.add((await incidents.getIncident(id))!.faultGroupId);
      }
      expect(groupIds.size).toBe(1);
      expect(await grouper.followsLead(ids.ledger)).toBe(false);
      expect(await groupsIn(knex)).toBe(1);
    },
  );
});

async function groupsIn(knex: Knex): Promise<number> {
  const [row] = await knex('fault_groups').count({ count: '*' });
  return Number(row.count);
}
