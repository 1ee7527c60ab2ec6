import {
  BackstageCredentials,
  coreServices,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  AI_TRIAGE_REVIEWS_TOPIC,
  aiTriageHypothesisReviewPermission,
  aiTriageIncidentReadPermission,
  reviewEventSchema,
} from '@ai-triage/plugin-ai-triage-common';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AddressInfo } from 'node:net';
import { Server } from 'node:http';
import mcpActionsPlugin from '@backstage/plugin-mcp-actions-backend';
import request from 'supertest';
import { aiTriagePlugin } from '../plugin';
import {
  checkoutEntity,
  deliverScenario,
  waitFor,
} from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import {
  eventRecorder,
  recordingAuditor,
} from '../__testUtils__/workflowTestKit';

jest.setTimeout(90_000);

const VIEWER = 'user:default/viewer';
const OUTSIDER = 'user:default/outsider';

/**
 * Allows everything except reviews by the viewer and reads by the outsider, as a real policy
 * would decide per user.
 */
const viewerCannotReview = createServiceFactory({
  service: coreServices.permissions,
  deps: {},
  factory: () => {
    const decide = (
      requests: Array<{ permission: { name: string } }>,
      credentials: BackstageCredentials,
    ) =>
      requests.map(({ permission }) => {
        const principal = credentials.principal as { userEntityRef?: string };
        return {
          result:
            (permission.name === aiTriageHypothesisReviewPermission.name &&
              principal.userEntityRef === VIEWER) ||
            (permission.name === aiTriageIncidentReadPermission.name &&
              principal.userEntityRef === OUTSIDER)
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
        };
      });
    return {
      authorize: async (requests, { credentials }) =>
        decide(requests, credentials) as any,
      authorizeConditional: async (requests, { credentials }) =>
        decide(requests, credentials) as any,
    };
  },
});

async function connect(
  url: string,
  userEntityRef?: string,
  authorization = mockCredentials.user.header(userEntityRef),
) {
  const client = new Client({ name: 'ai-triage-test-agent', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization } },
    }),
  );
  return client;
}

function structured(result: Awaited<ReturnType<Client['callTool']>>) {
  const [content] = result.content as Array<{ type: string; text: string }>;
  return JSON.parse(content.text);
}

describe('AI triage actions over MCP', () => {
  const databases = createTestDatabases();

  it('lists incidents, reads one and reviews a hypothesis through the MCP actions backend; refuses a reviewer without the permission, and reads to a user without the read permission or a service', async () => {
    const [databaseId] = databases.eachSupportedId().reverse()[0];
    const knex = await databases.init(databaseId);
    const auditor = recordingAuditor();
    const recorder = eventRecorder([AI_TRIAGE_REVIEWS_TOPIC]);
    const backend = await startTestBackend({
      features: [
        aiTriagePlugin,
        mcpActionsPlugin,
        catalogServiceMock.factory({ entities: [checkoutEntity] }),
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({
          data: { backend: { actions: { pluginSources: ['ai-triage'] } } },
        }),
        viewerCannotReview,
        auditor.factory,
        recorder.module,
      ],
    });
    const server = backend.server as Server;
    const { port } = server.address() as AddressInfo;
    const mcpUrl = `http://127.0.0.1:${port}/api/mcp-actions/v1`;
    const incidentId = await deliverScenario(server);

    const agent = await connect(mcpUrl);
    const viewer = await connect(mcpUrl, VIEWER);
    const outsider = await connect(mcpUrl, OUTSIDER);
    try {
      const { tools } = await agent.listTools();
      const byName = new Map(tools.map(tool => [tool.name, tool]));
      for (const name of [
        'list-incidents',
        'get-incident',
        'review-hypothesis',
        'retriage',
        'set-incident-status',
      ]) {
        // Namespaced by plugin id (mcpActions.namespacedToolNames defaults to true).
        expect([...byName.keys()]).toContain(`ai-triage.${name}`);
      }
      expect(byName.get('ai-triage.list-incidents')!.annotations).toMatchObject(
        {
          readOnlyHint: true,
        },
      );
      expect(
        byName.get('ai-triage.review-hypothesis')!.annotations,
      ).toMatchObject({
        readOnlyHint: false,
        destructiveHint: false,
      });

      const listed = structured(
        await agent.callTool({
          name: 'ai-triage.list-incidents',
          arguments: { entityRef: 'component:default/checkout' },
        }),
      );
      expect(listed.totalCount).toBe(1);
      expect(listed.items[0].id).toBe(incidentId);

      const incident = await waitFor('triaged over MCP', async () => {
        const read = structured(
          await agent.callTool({
            name: 'ai-triage.get-incident',
            arguments: { incidentId },
          }),
        );
        return read.incident.triageState === 'triaged' ? read : undefined;
      });
      const [top] = incident.hypotheses;
      expect(top.rootCause).toMatch(/payments/);
      expect(top.evidence.length).toBeGreaterThan(0);
      // Evidence is resolved to the context items it cites, not bare ids.
      expect(Object.keys(top.evidence[0]).length).toBeGreaterThan(1);
      expect(incident.context.serviceName).toBe('checkout');

      const refused = await viewer.callTool({
        name: 'ai-triage.review-hypothesis',
        arguments: { incidentId, hypothesisId: top.id, decision: 'accepted' },
      });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toMatch(
        /ai-triage\.hypothesis\.review/,
      );

      const reviewed = structured(
        await agent.callTool({
          name: 'ai-triage.review-hypothesis',
          arguments: {
            incidentId,
            hypothesisId: top.id,
            decision: 'accepted',
            comment: 'confirmed by the agent',
          },
        }),
      );
      expect(reviewed.review).toMatchObject({
        decision: 'accepted',
        reviewer: 'user:default/mock',
      });

      const reread = structured(
        await agent.callTool({
          name: 'ai-triage.get-incident',
          arguments: { incidentId },
        }),
      );
      expect(reread.workflow.currentRootCause).toMatchObject({
        hypothesisId: top.id,
        reviewer: 'user:default/mock',
      });
      const [event] = recorder.received;
      expect(reviewEventSchema.parse(event.eventPayload).comment).toBe(
        'confirmed by the agent',
      );
      const reviews = auditor.audits.filter(
        a => a.eventId === 'hypothesis-review',
      );
      expect(reviews.map(a => [a.outcome, a.meta?.via])).toEqual([
        ['succeeded', 'action'],
      ]);

      // Reads are gated as GET /incidents and GET /incidents/:id are: the read permission,
      // decided for the caller, and a signed-in user (a service token is refused).
      const service = await connect(
        mcpUrl,
        undefined,
        mockCredentials.service.header(),
      );
      try {
        for (const client of [outsider, service]) {
          for (const [name, args] of [
            ['ai-triage.list-incidents', {}],
            ['ai-triage.get-incident', { incidentId }],
          ] as const) {
            const read = await client.callTool({ name, arguments: args });
            expect(read.isError).toBe(true);
            expect(JSON.stringify(read.content)).toMatch(
              client === outsider
                ? /Missing permission ai-triage\.incident\.read/
                : /ai-triage\.incident\.read needs a signed-in user/,
            );
            expect(JSON.stringify(read.content)).not.toContain('payments');
          }
        }
        // The HTTP API answers the outsider the same way.
        const http = await request(server)
          .get(`/api/ai-triage/incidents/${incidentId}`)
          .set('authorization', mockCredentials.user.header(OUTSIDER));
        expect(http.status).toBe(403);
      } finally {
        await service.close();
      }
    } finally {
      await agent.close();
      await viewer.close();
      await outsider.close();
      await backend.stop();
    }
  });
});
