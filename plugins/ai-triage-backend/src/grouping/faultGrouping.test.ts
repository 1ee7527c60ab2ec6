import { mockCredentials } from '@backstage/backend-test-utils';
import {
  IncidentDetailResponse,
  IncidentListResponse,
} from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import { Server } from 'node:http';
import request from 'supertest';
import {
  callChainTraces,
  sendAlertStorm,
  sendTraces,
} from '../__testUtils__/callChainTelemetry';
import { serviceComponent } from '../__testUtils__/entities';
import { startAiTriageBackend, waitFor } from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import { FakeChatCompletionsServer } from '../reasoning/__testUtils__/FakeChatCompletionsServer';

jest.setTimeout(90_000);

const asUser = mockCredentials.user.header();

/** A storm down frontend → checkout → payments → ledger, the fault in ledger. */
const SHOP = ['frontend', 'checkout', 'payments', 'ledger'];
/** Another fault in the same minutes: search → index, the fault in index. */
const SEARCH = ['search', 'index'];

/**
 * An OpenAI-compatible endpoint that names the context's service as the cause, citing the
 * context's first alert: enough to count the calls and see whose context each one had.
 */
async function startLlm(): Promise<FakeChatCompletionsServer> {
  const llm = await FakeChatCompletionsServer.start();
  llm.replyAlways(req => {
    // The user message of the triage prompt (a repair attempt appends more after it).
    const prompt: string = req.body.messages[1].content;
    const service = /of service "([^"]+)"/.exec(prompt)![1];
    const alertId = /"id":"(alert:[^"]+)"/.exec(prompt)![1];
    return {
      content: JSON.stringify({
        hypotheses: [
          {
            rootCause: `${service} fails on its own`,
            affectedComponents: [service],
            probability: 0.5,
            kind: 'errors',
            origin: service,
            reasoning: `The context of ${service} shows it.`,
            diagnosticSteps: [`Read the logs of ${service}`],
            evidenceIds: [alertId],
          },
        ],
        insufficientEvidence: false,
      }),
    };
  });
  return llm;
}

function llmConfig(llm: FakeChatCompletionsServer, grouping: object = {}) {
  return {
    aiTriage: {
      workers: { concurrency: 4 },
      grouping,
      reasoning: {
        llm: { baseUrl: llm.baseUrl, model: 'test-model', maxRetries: 0 },
      },
    },
  };
}

async function detail(
  server: Server,
  id: string,
): Promise<IncidentDetailResponse> {
  const res = await request(server)
    .get(`/api/ai-triage/incidents/${id}`)
    .set('authorization', asUser);
  expect(res.status).toBe(200);
  return res.body;
}

/** Waits until no job is queued or running and every given incident reads as triaged. */
async function settled(server: Server, ids: string[]) {
  await waitFor(
    'the queue to drain and every incident to be triaged',
    async () => {
      const stats = await request(server)
        .get('/api/ai-triage/jobs/stats')
        .set('authorization', asUser);
      if (stats.body.depth > 0) return undefined;
      const running = stats.body.counts.some(
        (c: { status: string; count: number }) =>
          c.status === 'running' && c.count > 0,
      );
      if (running) return undefined;
      for (const id of ids) {
        if ((await detail(server, id)).incident.triageState !== 'triaged') {
          return undefined;
        }
      }
      return true;
    },
  );
}

async function countRows(knex: Knex, table: string): Promise<number> {
  const [row] = await knex(table).count({ count: '*' });
  return Number(row.count);
}

async function jobsOfType(server: Server, type: string): Promise<number> {
  const res = await request(server)
    .get('/api/ai-triage/jobs')
    .query({ limit: 500 })
    .set('authorization', asUser);
  return res.body.items.filter((j: { type: string }) => j.type === type).length;
}

describe('one fault, one triage', () => {
  const databases = createTestDatabases();
  let llm: FakeChatCompletionsServer;

  beforeEach(async () => {
    llm = await startLlm();
  });
  afterEach(async () => {
    await llm.stop();
  });

  it.each(databases.eachSupportedId())(
    'triages a storm over four services once, and a second fault in the same minutes apart, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await startAiTriageBackend({
        knex,
        entities: [...SHOP, ...SEARCH].map(s =>
          serviceComponent(s, { serviceName: s }),
        ),
        config: llmConfig(llm),
      });
      const nowMs = Date.now();
      await sendTraces(server, callChainTraces(SHOP, { nowMs }));
      await sendTraces(server, callChainTraces(SEARCH, { nowMs }));

      const incidents = await sendAlertStorm(server, [...SHOP, ...SEARCH]);
      const all = Object.values(incidents);
      expect(all).toHaveLength(6);
      await settled(server, all);

      // Six incidents, two faults: two enrichments, two reason jobs, two LLM calls.
      expect(await jobsOfType(server, 'enrich')).toBe(6);
      expect(await jobsOfType(server, 'reason')).toBe(2);
      expect(await countRows(knex, 'context_documents')).toBe(2);
      expect(await countRows(knex, 'triage_runs')).toBe(2);
      expect(llm.requests).toHaveLength(2);
      const reasonedOver = llm.requests
        .map(
          r => /of service "([^"]+)"/.exec(r.body.messages.at(-1).content)![1],
        )
        .sort();
      expect(reasonedOver).toEqual(['index', 'ledger']);

      // Every shop incident shows ledger as the probable origin, ledger's incident as lead and
      // its triage as their own.
      const lead = await detail(server, incidents.ledger);
      expect(lead.incident).toMatchObject({
        entityRef: 'component:default/ledger',
        probableOrigin: 'ledger',
        faultGroupLead: true,
        faultGroupSize: 4,
      });
      expect(lead.hypotheses[0].rootCause).toBe('ledger fails on its own');
      const shopGroup = lead.faultGroup!;
      expect(shopGroup).toMatchObject({
        origin: 'ledger',
        originEntityRef: 'component:default/ledger',
        leadIncidentId: incidents.ledger,
      });
      expect([...shopGroup.memberIncidentIds].sort()).toEqual(
        SHOP.map(s => incidents[s]).sort(),
      );
      expect(lead.relatedIncidents!.map(i => i.serviceName).sort()).toEqual([
        'checkout',
        'frontend',
        'payments',
      ]);

      const member = await detail(server, incidents.frontend);
      expect(member.incident).toMatchObject({
        serviceName: 'frontend',
        faultGroupId: shopGroup.id,
        probableOrigin: 'ledger',
        faultGroupLead: false,
        triageState: 'triaged',
      });
      expect(member.faultGroup).toEqual(shopGroup);
      expect(member.relatedIncidents![0].id).toBe(incidents.ledger);
      expect(member.relatedIncidents!.map(i => i.serviceName).sort()).toEqual([
        'checkout',
        'ledger',
        'payments',
      ]);
      expect(member.context?.serviceName).toBe('ledger');
      expect(member.hypotheses.map(h => h.id)).toEqual(
        lead.hypotheses.map(h => h.id),
      );

      // The search fault is a group of its own.
      const search = await detail(server, incidents.search);
      expect(search.faultGroup).toMatchObject({
        origin: 'index',
        leadIncidentId: incidents.index,
      });
      expect(search.faultGroup!.id).not.toBe(shopGroup.id);
      expect(search.hypotheses[0].rootCause).toBe('index fails on its own');

      // The feed, one row per group: the two leads, each standing for its group.
      const feed = await request(server)
        .get('/api/ai-triage/incidents')
        .query({ groupBy: 'fault' })
        .set('authorization', asUser);
      expect(feed.status).toBe(200);
      const rows = feed.body as IncidentListResponse;
      expect(rows.totalCount).toBe(2);
      expect(
        rows.items.map(i => [i.serviceName, i.faultGroupSize]).sort(),
      ).toEqual([
        ['index', 2],
        ['ledger', 4],
      ]);
      const badGroupBy = await request(server)
        .get('/api/ai-triage/incidents')
        .query({ groupBy: 'service' })
        .set('authorization', asUser);
      expect(badGroupBy.status).toBe(400);
      expect(badGroupBy.body.error.message).toMatch(/^Invalid query: groupBy/);
      const flat = await request(server)
        .get('/api/ai-triage/incidents')
        .set('authorization', asUser);
      expect(flat.body.totalCount).toBe(6);

      // A member's entity view still finds its group: its own incident is the group's row there.
      const frontendOnly = await request(server)
        .get('/api/ai-triage/incidents')
        .query({ groupBy: 'fault', entityRef: 'component:default/frontend' })
        .set('authorization', asUser);
      expect(
        (frontendOnly.body as IncidentListResponse).items.map(i => i.id),
      ).toEqual([incidents.frontend]);

      // A review through a member lands on the lead's hypothesis, where every member sees it.
      const review = await request(server)
        .post(
          `/api/ai-triage/incidents/${incidents.checkout}/hypotheses/${lead.hypotheses[0].id}/reviews`,
        )
        .set('authorization', asUser)
        .send({ decision: 'accepted' });
      expect(review.status).toBe(201);
      expect(
        (await detail(server, incidents.payments)).hypotheses[0].review,
      ).toMatchObject({ decision: 'accepted' });
    },
  );

  it.each(databases.eachSupportedId())(
    'hands the lead to the origin when its own incident arrives later, and triages the group again, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await startAiTriageBackend({
        knex,
        config: llmConfig(llm),
      });
      await sendTraces(server, callChainTraces(SHOP, { nowMs: Date.now() }));

      const first = await sendAlertStorm(server, [
        'frontend',
        'checkout',
        'payments',
      ]);
      await settled(server, Object.values(first));
      expect(llm.requests).toHaveLength(1);
      // Calls between the alerted services make payments (the deepest alerted one) the lead;
      // its localization walks on to ledger, which raised no alert yet.
      const before = await detail(server, first.frontend);
      expect(before.faultGroup).toMatchObject({
        origin: 'ledger',
        leadIncidentId: first.payments,
      });

      const late = await sendAlertStorm(server, ['ledger']);
      await settled(server, [...Object.values(first), late.ledger]);
      expect(llm.requests).toHaveLength(2);
      expect(await countRows(knex, 'triage_runs')).toBe(2);
      const after = await detail(server, first.frontend);
      expect(after.faultGroup).toMatchObject({
        id: before.faultGroup!.id,
        origin: 'ledger',
        leadIncidentId: late.ledger,
      });
      expect(after.faultGroup!.memberIncidentIds).toHaveLength(4);
      expect(after.hypotheses[0].rootCause).toBe('ledger fails on its own');
    },
  );

  it('triages every incident of the storm alone with grouping switched off', async () => {
    const knex = await databases.init('SQLITE_3');
    const server = await startAiTriageBackend({
      knex,
      config: llmConfig(llm, { enabled: false }),
    });
    await sendTraces(server, callChainTraces(SHOP, { nowMs: Date.now() }));
    const incidents = await sendAlertStorm(server, SHOP);
    await settled(server, Object.values(incidents));
    expect(await jobsOfType(server, 'reason')).toBe(4);
    expect(llm.requests).toHaveLength(4);
    const member = await detail(server, incidents.frontend);
    expect(member.faultGroup).toBeNull();
    expect(member.incident).toMatchObject({
      faultGroupId: null,
      probableOrigin: null,
    });
    expect(member.hypotheses[0].rootCause).toBe('frontend fails on its own');
  });

  it.each(databases.eachSupportedId())(
    'waits the grouping wait before the first triage, so an origin alerting a moment later leads from the start, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const waitSeconds = 1;
      const server = await startAiTriageBackend({
        knex,
        config: llmConfig(llm, { waitSeconds }),
      });
      await sendTraces(server, callChainTraces(SHOP, { nowMs: Date.now() }));
      const startedMs = Date.now();
      const first = await sendAlertStorm(server, [
        'frontend',
        'checkout',
        'payments',
      ]);
      await new Promise(resolve => setTimeout(resolve, 300));
      const late = await sendAlertStorm(server, ['ledger']);
      await settled(server, [...Object.values(first), late.ledger]);
      const triagedAfterMs =
        Date.parse(
          (await detail(server, late.ledger)).hypotheses[0].createdAt,
        ) - startedMs;

      // One LLM call, over ledger's context, not one before ledger arrived and one after.
      expect(llm.requests).toHaveLength(1);
      const group = (await detail(server, first.frontend)).faultGroup;
      expect(group).toMatchObject({
        origin: 'ledger',
        leadIncidentId: late.ledger,
      });
      expect(triagedAfterMs).toBeGreaterThanOrEqual(waitSeconds * 1000);
    },
  );

  it.each(databases.eachSupportedId())(
    'places incidents whose services do not call each other by the localized origin, reasoning once, %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const server = await startAiTriageBackend({
        knex,
        config: llmConfig(llm),
      });
      await sendTraces(server, callChainTraces(SHOP, { nowMs: Date.now() }));
      // frontend and ledger alert; checkout and payments between them do not.
      const incidents = await sendAlertStorm(server, ['frontend', 'ledger']);
      await settled(server, Object.values(incidents));

      // Both were enriched (no call joins them), but only the origin's incident was reasoned over.
      expect(await countRows(knex, 'context_documents')).toBe(2);
      expect(llm.requests).toHaveLength(1);
      const frontend = await detail(server, incidents.frontend);
      expect(frontend.faultGroup).toMatchObject({
        origin: 'ledger',
        leadIncidentId: incidents.ledger,
      });
      expect(frontend.incident.probableOrigin).toBe('ledger');
      expect(frontend.context?.localization?.origin).toBe('ledger');
      expect(frontend.hypotheses[0].rootCause).toBe('ledger fails on its own');
    },
  );
});
