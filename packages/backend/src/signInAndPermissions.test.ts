import { authServiceFactory } from '@backstage/backend-defaults/auth';
import { httpAuthServiceFactory } from '@backstage/backend-defaults/httpAuth';
import { httpRouterServiceFactory } from '@backstage/backend-defaults/httpRouter';
import { permissionsServiceFactory } from '@backstage/backend-defaults/permissions';
import { userInfoServiceFactory } from '@backstage/backend-defaults/userInfo';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { readFileSync } from 'node:fs';
import { Server } from 'node:http';
import { join } from 'node:path';
import { OAuth2Server } from 'oauth2-mock-server';
import { generateKeyPairSync } from 'node:crypto';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import aiTriagePlugin from '@ai-triage/plugin-ai-triage-backend';
import { signInAndPermissionFeatures } from './signInAndPermissions';

/*
 * The production backend's sign-in and permissions, for real: the auth backend with the OpenID
 * Connect module, configured from k8s/base/app-config.production.yaml, signs users in against a
 * loopback OpenID provider (oauth2-mock-server: discovery, JWKS, authorize, token, userinfo);
 * the permission backend runs the ai-triage ownership policy on the claims the auth backend
 * gave each user; the ai-triage plugin asks it for every incident. No mocked auth, httpAuth,
 * userInfo or permissions services: only the catalog is an in-memory one.
 */

jest.setTimeout(120_000);

const WEBHOOK_TOKEN = 'test-webhook-token-0123456789';

type Person = { name: string; email: string; groups: string[] };
const PEOPLE: Record<'owner' | 'other' | 'admin', Person> = {
  owner: { name: 'jane', email: 'jane@example.com', groups: ['team-checkout'] },
  other: { name: 'bob', email: 'bob@example.com', groups: ['team-payments'] },
  admin: { name: 'alice', email: 'alice@example.com', groups: ['sre'] },
};

function user(person: Person): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name: person.name, namespace: 'default' },
    spec: { profile: { email: person.email }, memberOf: person.groups },
    relations: person.groups.map(group => ({
      type: 'memberOf',
      targetRef: `group:default/${group}`,
    })),
  };
}

const checkout: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'checkout',
    namespace: 'default',
    annotations: { 'opentelemetry.io/service-name': 'checkout' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-checkout' },
  relations: [{ type: 'ownedBy', targetRef: 'group:default/team-checkout' }],
};

/** The production app-config's `auth` and `aiTriage.permissions`, its ${VARS} filled in. */
function productionConfig(vars: Record<string, string>) {
  const text = readFileSync(
    join(__dirname, '../../../k8s/base/app-config.production.yaml'),
    'utf8',
  ).replace(/\$\{(\w+)\}/g, (_, name: string) => vars[name] ?? `unset-${name}`);
  const config = parseYaml(text);
  return {
    auth: config.auth,
    aiTriage: { permissions: config.aiTriage.permissions },
  };
}

/** A cookie jar as a browser keeps one for the backend: name=value of each Set-Cookie. */
class Cookies {
  private readonly values = new Map<string, string>();
  take(res: { headers: Record<string, unknown> }): void {
    for (const cookie of (res.headers['set-cookie'] as string[]) ?? []) {
      const [pair] = cookie.split(';');
      const eq = pair.indexOf('=');
      this.values.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  header(): string {
    return [...this.values].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** What the auth backend's handler frame posts to the app window (its sign-in result). */
function frameMessage(html: string): {
  type: string;
  response?: { profile: { email?: string } };
  error?: { message: string };
} {
  const encoded = /var authResponse = decodeURIComponent\('([^']*)'\)/.exec(
    html,
  );
  if (!encoded) throw new Error(`No sign-in result in ${html.slice(0, 200)}`);
  return JSON.parse(decodeURIComponent(encoded[1]));
}

describe('the production backend: OpenID Connect sign-in and the ownership policy', () => {
  let idp: OAuth2Server;
  let server: Server;
  let signingInAs: Person | undefined;

  beforeAll(async () => {
    idp = new OAuth2Server();
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await idp.issuer.keys.add({
      ...privateKey.export({ format: 'jwk' }),
      alg: 'RS256',
      kid: 'test-key',
    });
    // The identity of whoever signs in now: in the ID token and at the userinfo endpoint.
    idp.service.on('beforeTokenSigning', token => {
      if (!signingInAs) return;
      Object.assign(token.payload, {
        sub: signingInAs.name,
        email: signingInAs.email,
        email_verified: true,
      });
    });
    idp.service.on('beforeUserinfo', userInfo => {
      userInfo.body = {
        sub: signingInAs?.name,
        email: signingInAs?.email,
        email_verified: true,
        name: signingInAs?.name,
      };
    });
    await idp.start(0, '127.0.0.1');

    const backend = await startTestBackend({
      features: [
        ...signInAndPermissionFeatures({ development: false }),
        aiTriagePlugin,
        catalogServiceMock.factory({
          entities: [...Object.values(PEOPLE).map(user), checkout],
        }),
        // The real services where the test backend would put mocks.
        authServiceFactory,
        httpAuthServiceFactory,
        httpRouterServiceFactory,
        userInfoServiceFactory,
        permissionsServiceFactory,
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            backend: {
              auth: {
                externalAccess: [
                  {
                    type: 'static',
                    options: { token: WEBHOOK_TOKEN, subject: 'alertmanager' },
                    accessRestrictions: [{ plugin: 'ai-triage' }],
                  },
                ],
              },
            },
            permission: { enabled: true },
            ...productionConfig({
              AUTH_SESSION_SECRET: 'test-session-secret',
              OIDC_METADATA_URL: `${idp.issuer.url}/.well-known/openid-configuration`,
              OIDC_CLIENT_ID: 'ai-triage',
              OIDC_CLIENT_SECRET: 'test-client-secret',
            }),
          },
        }),
      ],
    });
    server = backend.server;
  });

  afterAll(async () => {
    await idp?.stop();
  });

  /**
   * Signs in as a browser does: the auth backend's start redirects to the provider, the
   * provider back with a code, the auth backend's handler exchanges it, checks the ID token
   * against the provider's JWKS, resolves the e-mail to a catalog User; then the refresh
   * endpoint gives the Backstage token.
   */
  async function signIn(person: Person) {
    signingInAs = person;
    const cookies = new Cookies();
    const start = await request(server)
      .get('/api/auth/oidc/start')
      .query({ env: 'production', scope: 'openid profile email' });
    expect(start.status).toBe(302);
    cookies.take(start);
    const authorize = await fetch(start.headers.location, {
      redirect: 'manual',
    });
    expect(authorize.status).toBe(302);
    const callback = new URL(authorize.headers.get('location')!);
    const frame = await request(server)
      .get(callback.pathname + callback.search)
      .set('cookie', cookies.header());
    expect(frame.status).toBe(200);
    expect(frameMessage(frame.text)).toMatchObject({
      type: 'authorization_response',
      response: { profile: { email: person.email } },
    });
    cookies.take(frame);
    const refresh = await request(server)
      .get('/api/auth/oidc/refresh')
      .query({ env: 'production' })
      .set('x-requested-with', 'XMLHttpRequest')
      .set('cookie', cookies.header());
    expect(refresh.status).toBe(200);
    return refresh.body as {
      profile: { email?: string };
      backstageIdentity: {
        token: string;
        identity: { userEntityRef: string; ownershipEntityRefs: string[] };
      };
    };
  }

  it('signs users in through the OpenID provider as their catalog Users, with their groups', async () => {
    const session = await signIn(PEOPLE.owner);
    expect(session.profile.email).toBe('jane@example.com');
    expect(session.backstageIdentity.identity).toMatchObject({
      userEntityRef: 'user:default/jane',
      ownershipEntityRefs: expect.arrayContaining([
        'user:default/jane',
        'group:default/team-checkout',
      ]),
    });
    // Someone the provider knows but the catalog does not is refused a Backstage identity.
    signingInAs = {
      name: 'mallory',
      email: 'mallory@example.com',
      groups: [],
    };
    const cookies = new Cookies();
    const start = await request(server)
      .get('/api/auth/oidc/start')
      .query({ env: 'production', scope: 'openid profile email' });
    cookies.take(start);
    const authorize = await fetch(start.headers.location, {
      redirect: 'manual',
    });
    const callback = new URL(authorize.headers.get('location')!);
    const frame = await request(server)
      .get(callback.pathname + callback.search)
      .set('cookie', cookies.header());
    expect(frameMessage(frame.text)).toEqual({
      type: 'authorization_response',
      error: expect.objectContaining({
        message: expect.stringMatching(/unable to resolve user identity/),
      }),
    });
    cookies.take(frame);
    const refresh = await request(server)
      .get('/api/auth/oidc/refresh')
      .query({ env: 'production' })
      .set('x-requested-with', 'XMLHttpRequest')
      .set('cookie', cookies.header());
    expect(refresh.status).toBe(401);
  });

  it('lets the owning team and admins review an incident, and refuses everyone else (403)', async () => {
    const delivery = await request(server)
      .post('/api/ai-triage/webhooks/alertmanager')
      .set('authorization', `Bearer ${WEBHOOK_TOKEN}`)
      .send({
        version: '4',
        status: 'firing',
        receiver: 'ai-triage',
        groupKey: '{}:{alertname="HighErrorRate"}',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'HighErrorRate', service: 'checkout' },
            annotations: {},
            startsAt: new Date().toISOString(),
            fingerprint: 'f1',
          },
        ],
      });
    expect(delivery.status).toBe(202);
    const incidentId = delivery.body.incidentIds[0] as string;

    const tokens = {
      owner: (await signIn(PEOPLE.owner)).backstageIdentity.token,
      other: (await signIn(PEOPLE.other)).backstageIdentity.token,
      admin: (await signIn(PEOPLE.admin)).backstageIdentity.token,
    };
    const as = (who: keyof typeof tokens) => `Bearer ${tokens[who]}`;

    // The incident is linked to checkout (from the catalog, right after the 202).
    for (let tries = 0; ; tries++) {
      const detail = await request(server)
        .get(`/api/ai-triage/incidents/${incidentId}`)
        .set('authorization', as('admin'));
      expect(detail.status).toBe(200);
      if (detail.body.incident?.entityRef ?? detail.body.entityRef) break;
      if (tries > 100) throw new Error('the incident was never linked');
      await new Promise(resolve => setTimeout(resolve, 100));
    }

    const review = (who: keyof typeof tokens) =>
      request(server)
        .post(
          `/api/ai-triage/incidents/${incidentId}/hypotheses/no-such-hypothesis/reviews`,
        )
        .set('authorization', as(who))
        .send({ decision: 'accepted' });
    // Owner and admin: past the permission check, to the missing hypothesis.
    const owner = await review('owner');
    expect({
      status: owner.status,
      message: owner.body.error?.message,
    }).toEqual({ status: 404, message: expect.stringMatching(/hypothesis/i) });
    expect((await review('admin')).status).toBe(404);
    // Another team: refused.
    const other = await review('other');
    expect(other.status).toBe(403);
    expect(other.body.error.message).toMatch(
      /Missing permission ai-triage.hypothesis.review/,
    );

    for (const [who, status] of [
      ['owner', 200],
      ['other', 403],
      ['admin', 200],
    ] as const) {
      const detail = await request(server)
        .get(`/api/ai-triage/incidents/${incidentId}`)
        .set('authorization', as(who));
      expect({ who, status: detail.status }).toEqual({ who, status });
    }
    // Re-triage (the review permission) and acknowledging (the status permission): the owner
    // and admins do it, another team cannot.
    for (const [who, allowed] of [
      ['other', false],
      ['owner', true],
      ['admin', true],
    ] as const) {
      const retriage = await request(server)
        .post(`/api/ai-triage/incidents/${incidentId}/retriage`)
        .set('authorization', as(who));
      expect({ who, status: retriage.status }).toEqual({
        who,
        status: allowed ? 202 : 403,
      });
    }
    const acknowledge = (who: keyof typeof tokens) =>
      request(server)
        .post(`/api/ai-triage/incidents/${incidentId}/status`)
        .set('authorization', as(who))
        .send({ status: 'acknowledged' });
    expect((await acknowledge('other')).status).toBe(403);
    const acknowledged = await acknowledge('owner');
    expect(acknowledged.status).toBe(200);
    expect(acknowledged.body.workflow.statusChangedBy).toBe(
      'user:default/jane',
    );

    // No token at all: 401.
    expect(
      (await request(server).get(`/api/ai-triage/incidents/${incidentId}`))
        .status,
    ).toBe(401);
  });
});
