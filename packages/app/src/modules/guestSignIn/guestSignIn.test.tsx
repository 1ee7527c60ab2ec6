import { createApp } from '@backstage/frontend-defaults';
import { render, screen, waitFor } from '@testing-library/react';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { guestSignInModule } from '.';

/** A JWT-shaped token with an expiry, as the auth backend's guest provider issues. */
function token(): string {
  const part = (o: object) =>
    Buffer.from(JSON.stringify(o)).toString('base64url');
  const exp = Math.floor(Date.now() / 1000) + 3600;
  return `${part({ alg: 'ES256' })}.${part({
    sub: 'user:development/guest',
    exp,
  })}.c2ln`;
}

describe('guestSignInModule', () => {
  let server: http.Server;
  let baseUrl: string;
  const requests: string[] = [];

  beforeAll(async () => {
    // The auth backend's guest refresh endpoint, on loopback, with the CORS answer a browser needs.
    server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Headers', 'x-requested-with');
      if (req.method === 'OPTIONS') {
        res.end();
        return;
      }
      if (req.url !== '/api/auth/guest/refresh') {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          profile: { displayName: 'Guest' },
          backstageIdentity: {
            token: token(),
            identity: {
              type: 'user',
              userEntityRef: 'user:development/guest',
              ownershipEntityRefs: ['user:development/guest'],
            },
          },
        }),
      );
    });
    await new Promise<void>(done => server.listen(0, '127.0.0.1', done));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise(done => server.close(done)));

  it('signs in as guest through the backend without a click', async () => {
    process.env = {
      NODE_ENV: 'test',
      APP_CONFIG: [
        {
          data: { app: { title: 'Test' }, backend: { baseUrl } },
          context: 'test',
        },
      ] as any,
    };
    render(createApp({ features: [guestSignInModule] }).createRoot());

    await waitFor(
      () => expect(requests).toContain('GET /api/auth/guest/refresh'),
      { timeout: 15_000 },
    );
    // Past the sign-in page: the app's own routes render, and no provider asks for a click.
    expect(
      await screen.findByText(/page not found/i, {}, { timeout: 15_000 }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Enter' })).toBeNull();
  });
});
