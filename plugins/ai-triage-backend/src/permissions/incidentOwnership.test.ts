import { mockCredentials } from '@backstage/backend-test-utils';
import { createConditionTransformer } from '@backstage/plugin-permission-node';
import { aiTriageIncidentReadPermission } from '@ai-triage/plugin-ai-triage-common';
import request from 'supertest';
import { startAiTriageBackend } from '../__testUtils__/testBackend';
import { createTestDatabases } from '../__testUtils__/testDatabases';
import {
  IncidentResource,
  aiTriageIncidentConditions,
  createAiTriageIncidentConditionalDecision,
  incidentRuleset,
  isIncidentAllowed,
} from './incidentOwnership';

jest.setTimeout(60_000);

const incident: IncidentResource = {
  id: 'i-1',
  entityRef: 'component:default/checkout',
  ownerRefs: ['group:default/team-checkout'],
};

function decisionWith(params: unknown) {
  return createAiTriageIncidentConditionalDecision(
    aiTriageIncidentReadPermission,
    {
      ...aiTriageIncidentConditions.isIncidentEntityOwner({ claims: [] }),
      params: params as { claims: string[] },
    },
  );
}

describe('IS_INCIDENT_ENTITY_OWNER', () => {
  const databases = createTestDatabases();

  it('allows an incident to the owners of its entity and filters a list by them', () => {
    expect(
      isIncidentAllowed(
        decisionWith({
          claims: ['user:default/ann', 'group:default/team-checkout'],
        }),
        incident,
      ),
    ).toBe(true);
    expect(
      isIncidentAllowed(
        decisionWith({ claims: ['group:default/team-payments'] }),
        incident,
      ),
    ).toBe(false);
    expect(
      createConditionTransformer(incidentRuleset)(
        decisionWith({ claims: ['group:default/team-checkout'] }).conditions,
      ),
    ).toEqual({ ownedBy: ['group:default/team-checkout'] });
  });

  it.each([
    [{ claims: 'group:default/team-checkout' }],
    [{ claims: [42] }],
    [{}],
  ])('refuses a condition whose params do not fit the rule: %j', params => {
    expect(() => isIncidentAllowed(decisionWith(params), incident)).toThrow(
      'Parameters to rule are invalid',
    );
    expect(() =>
      createConditionTransformer(incidentRuleset)(
        decisionWith(params).conditions,
      ),
    ).toThrow('Parameters to rule are invalid');
  });

  it("publishes its params schema in the plugin's permission metadata", async () => {
    const knex = await databases.init('SQLITE_3');
    const server = await startAiTriageBackend({ knex });
    const response = await request(server)
      .get('/api/ai-triage/.well-known/backstage/permissions/metadata')
      .set('authorization', mockCredentials.service.header());
    expect(response.status).toBe(200);
    const rule = response.body.rules.find(
      (r: { name: string }) => r.name === 'IS_INCIDENT_ENTITY_OWNER',
    );
    expect(rule).toMatchObject({
      resourceType: 'ai-triage-incident',
      paramsSchema: {
        type: 'object',
        required: ['claims'],
        properties: {
          claims: { type: 'array', items: { type: 'string' } },
        },
      },
    });
  });
});
