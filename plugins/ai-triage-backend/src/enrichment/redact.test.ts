import { redact, RedactionTally, Redactor } from './redact';

describe('redact', () => {
  it.each([
    [
      'Authorization: Bearer eyzAbc123.def456-ghi789_jkl',
      'Authorization: Bearer [REDACTED]',
    ],
    [
      'login failed: password=hunter2 user=bob',
      'login failed: password=[REDACTED] user=bob',
    ],
    ['db_password: "s3cr3t!" host=db', 'db_password: "[REDACTED]" host=db'],
    [
      '{"api_key":"abc123","region":"eu"}',
      '{"api_key":"[REDACTED]","region":"eu"}',
    ],
    [
      'GET /charge?token=tok_9f8e7d&amount=10',
      'GET /charge?token=[REDACTED]&amount=10',
    ],
    ['client_secret = xyz987; retry', 'client_secret = [REDACTED]; retry'],
    ['API-KEY: 1234567890abcdef', 'API-KEY: [REDACTED]'],
    ['using key AKIAIOSFODNN7EXAMPLE for s3', 'using key [REDACTED] for s3'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U rejected',
      'jwt [REDACTED] rejected',
    ],
    [
      'key: -----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA PRIVATE KEY----- loaded',
      'key: [REDACTED] loaded',
    ],
    ['mail sent to jane.doe+shop@example.co.uk', 'mail sent to [REDACTED]'],
    ['charge 4111 1111 1111 1111 declined', 'charge [REDACTED] declined'],
    ['charge 4111-1111-1111-1111 declined', 'charge [REDACTED] declined'],
    [
      'connect postgres://app:pa55w0rd@db.internal:5432/shop failed',
      'connect postgres://app:[REDACTED]@db.internal:5432/shop failed',
    ],
    [
      'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 used',
      'token [REDACTED] used',
    ],
  ])('masks %j', (input, output) => {
    expect(redact(input)).toEqual({ text: output, count: 1 });
  });

  it.each([
    'payment 4111 1111 1111 1112 is not a valid card number',
    'took 1700000000123 ms at epoch 1544712660300000000',
    'order 42 for user bob failed: timeout after 3000ms',
    'max_tokens_per_minute exceeded',
    'password reset requested',
    'token=',
    // A UUID whose digit groups read as a Luhn-valid card number (26-1363-4831-9389-8): glued
    // to its hex letters, it is no card number.
    'incident 2bd5af26-1363-4831-9389-8b2f71845853 reopened',
  ])('leaves %j alone', input => {
    expect(redact(input)).toEqual({ text: input, count: 0 });
  });

  it('counts every masked value and masks nothing twice', () => {
    const { text, count } = redact(
      'token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig user=a@b.io password=x password=y',
    );
    expect(text).toBe(
      'token=[REDACTED] user=[REDACTED] password=[REDACTED] password=[REDACTED]',
    );
    expect(count).toBe(4);
  });
});

/**
 * Secrets written for this test (none is real): each is built from parts at run time so that
 * secret scanners do not take the source for a leak.
 */
const fake = (...parts: string[]) => parts.join('');
const SECRETS = {
  github: fake('gh', 'p_', 'R4nd0mT0k3nF0rT3st1ngOnly000000000001'),
  githubFineGrained: fake('github', '_pat_', '11AAAAAAA0', 'x'.repeat(40)),
  gitlab: fake('gl', 'pat-', 'Zx9Yw8Vu7Ts6Rq5Po4Nm'),
  slack: fake('xo', 'xb-', '1234567890-0987654321-AbCdEfGhIjKlMnOp'),
  slackWebhook: fake(
    'https://hooks.slack.com/services/',
    'T00000000/B00000000/',
    'XXXXXXXXXXXXXXXXXXXXXXXX',
  ),
  stripe: fake('sk', '_live_', '51Hx', 'q'.repeat(20)),
  stripeWebhook: fake('wh', 'sec_', 'AbCdEfGhIjKlMnOpQrStUvWx'),
  openai: fake('sk', '-proj-', 'Aa1Bb2Cc3Dd4Ee5Ff6Gg7Hh8'),
  anthropic: fake('sk', '-ant-', 'api03-', 'Zz9Yy8Xx7Ww6Vv5Uu4Tt3'),
  google: fake('AI', 'za', 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q'),
  npm: fake('np', 'm_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'),
  sendgrid: fake(
    'S',
    'G.',
    'abcdefghijklmnop1234',
    '.',
    'QRSTUVWXYZ0123456789abcd',
  ),
  huggingFace: fake('h', 'f_', 'AbCdEfGhIjKlMnOpQrStUvWxYz012345'),
  awsKeyId: fake('AK', 'IA', 'Z7Q3W9E1R5T8Y2U4'),
  awsSecret: fake('wJalrXUtnFEMI', '/K7MDENG/bPxRfiCY', 'EXAMPLEKEY'),
  jwt: fake(
    'eyJhbGciOiJSUzI1NiJ9',
    '.eyJzdWIiOiJ1c2VyLTQyIiwiYWRtaW4iOnRydWV9',
    '.c2lnbmF0dXJlLW5vdC1yZWFs',
  ),
  bearer: fake('opaque', 'AccessToken', '7f3a9c'),
  basic: fake('dXNlcjpw', 'YXNzd29yZA=='),
  urlPassword: fake('Tr0ub4dor', '&3horse'),
  dbPassword: fake('correct', '-horse-battery'),
  privateKeyBody: fake(
    'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC',
    'BKcwggSjAgEAAoIBAQC7',
  ),
  clientSecret: fake('cs', '_9f8e7d6c5b4a'),
  sessionId: fake('sess', '-0a1b2c3d4e'),
  email: fake('jane.roe', '@', 'corp.example'),
  card: fake('5555 5555 ', '5555 4444'),
};

/** Log lines, span errors and alert texts a service could really write, each with secrets in it. */
const CORPUS = [
  `git clone failed for https://x-access-token:${SECRETS.github}@github.com/acme/shop.git`,
  `using token ${SECRETS.githubFineGrained} for the release API`,
  `GITLAB_TOKEN=${SECRETS.gitlab} ci job 4411 started`,
  `slack notify failed (token ${SECRETS.slack}): channel_not_found`,
  `posting to ${SECRETS.slackWebhook} returned 404`,
  `stripe.Charge.create(api_key="${SECRETS.stripe}") raised CardError`,
  `verifying webhook with secret ${SECRETS.stripeWebhook}`,
  `openai request with key ${SECRETS.openai} hit the rate limit`,
  `anthropic client init: x-api-key: ${SECRETS.anthropic}`,
  `maps geocode https://maps.googleapis.com/maps/api/geocode/json?address=x&key=${SECRETS.google}`,
  `npm publish with //registry.npmjs.org/:_authToken=${SECRETS.npm}`,
  `sendgrid: Authorization: Bearer ${SECRETS.sendgrid}`,
  `downloading model with HF token ${SECRETS.huggingFace}`,
  `s3 PutObject denied for ${SECRETS.awsKeyId} in eu-west-1`,
  `env AWS_SECRET_ACCESS_KEY=${SECRETS.awsSecret} loaded`,
  `{"aws_secret_access_key": "${SECRETS.awsSecret}", "region": "eu-west-1"}`,
  `rejected JWT ${SECRETS.jwt} (expired)`,
  `upstream returned 401 for Authorization: Bearer ${SECRETS.bearer}`,
  `proxy auth: Authorization: Basic ${SECRETS.basic}`,
  `connecting to amqp://shop:${SECRETS.urlPassword}@rabbit.internal:5672/`,
  `db config {"host":"pg","user":"shop","password":"${SECRETS.dbPassword}"}`,
  `PGPASSWORD='${SECRETS.dbPassword}' psql -h pg`,
  `loaded key -----BEGIN PRIVATE KEY-----\n${SECRETS.privateKeyBody}\n-----END PRIVATE KEY-----`,
  `oauth exchange client_id=shop&client_secret=${SECRETS.clientSecret}&grant_type=x`,
  `cookie session_id=${SECRETS.sessionId}; Path=/`,
  `password reset mail to ${SECRETS.email} bounced`,
  `charging card ${SECRETS.card} for order 1017`,
];

describe('redaction corpus', () => {
  it.each(CORPUS.map(line => [line]))('leaves no secret in %j', line => {
    const { text, count } = redact(line);
    for (const secret of Object.values(SECRETS)) {
      expect(text).not.toContain(secret);
    }
    expect(count).toBeGreaterThan(0);
    expect(text).toContain('[REDACTED]');
  });

  it('covers every secret of the corpus', () => {
    const corpus = CORPUS.join('\n');
    for (const secret of Object.values(SECRETS)) {
      expect(corpus).toContain(secret);
    }
  });
});

describe('Redactor', () => {
  it('masks IP addresses only when configured, and e-mails unless switched off', () => {
    const line =
      'login by ops@example.com from 10.1.2.3 and fe80::1ff:fe23:4567:890a';
    expect(Redactor.create().redact(line)).toBe(
      'login by [REDACTED] from 10.1.2.3 and fe80::1ff:fe23:4567:890a',
    );
    const tally: RedactionTally = {};
    expect(
      Redactor.create({ emails: false, ipAddresses: true }).redact(line, tally),
    ).toBe('login by ops@example.com from [REDACTED] and [REDACTED]');
    expect(tally).toEqual({ 'ip-address': 2 });
  });

  it('masks custom patterns from config and counts them by name', () => {
    const redactor = Redactor.create({
      patterns: [
        { name: 'customer-id', pattern: 'CUST-\\d{6}' },
        {
          name: 'internal-host',
          pattern: '\\b[a-z0-9-]+\\.corp\\.internal\\b',
        },
      ],
    });
    const tally: RedactionTally = {};
    expect(
      redactor.redact(
        'CUST-004211 and CUST-998877 failed on db-7.corp.internal, password=x',
        tally,
      ),
    ).toBe(
      '[REDACTED] and [REDACTED] failed on [REDACTED], password=[REDACTED]',
    );
    expect(tally).toEqual({
      'custom:customer-id': 2,
      'custom:internal-host': 1,
      'secret-value': 1,
    });
  });

  it('refuses an invalid or empty-matching custom pattern', () => {
    expect(() =>
      Redactor.create({ patterns: [{ name: 'broken', pattern: '(' }] }),
    ).toThrow(/Redaction pattern broken is not a valid regular expression/);
    expect(() =>
      Redactor.create({ patterns: [{ name: 'everything', pattern: 'x*' }] }),
    ).toThrow('Redaction pattern everything matches the empty string');
  });
});

describe('ordinary operational text', () => {
  // Error messages, ids, versions and hashes a service really writes: none is a secret, and
  // changing any of them would change what the reasoner reads.
  const ORDINARY = [
    'password: must be at least 12 characters',
    'invalid_token: session ended',
    'api_key: missing in request headers',
    'secret rotation scheduled for 02:00 UTC',
    'token bucket exhausted: rate limit 100/s',
    'trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7 failed',
    'traceparent 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    'checkout v2.14.3-rc.1+build.5 deployed to eu-west-1',
    'GET https://cdn.example.com/assets/app.3f2a1b9c4d5e6f70.js returned 404',
    'GET https://git.example.com/acme/shop/commit/9fceb02d0ae598e95dc970b74767f19372d61af8',
    'image sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 pulled',
    'pod checkout-7d9f8b6c5d-x2k4p OOMKilled',
    'order 123e4567-e89b-12d3-a456-426614174000 not found',
    'CheckoutHighLatency firing for HTTP GET /api/v1/orders/{orderId}',
    'org.hibernate.exception.JDBCConnectionException: Unable to acquire JDBC Connection',
    'HikariPool-1 - Connection is not available, request timed out after 30000ms',
    'io.grpc.StatusRuntimeException: UNAVAILABLE: upstream connect error',
    'PaymentServiceClientTimeoutExceptionHandler retried 3 times',
    'node ip-10-0-12-34.eu-west-1.compute.internal NotReady',
    'build 20261206.4 of checkoutServiceV2Release finished',
  ];

  it.each(ORDINARY.map(line => [line]))('passes %j unchanged', line => {
    expect(redact(line)).toEqual({ text: line, count: 0 });
  });
});

describe('gitleaks-derived patterns and the entropy check', () => {
  it.each([
    [
      'vault',
      fake(
        'hvs.',
        'CAESIJ7x9Kq2Lm8Np4Rt6Vw0Yz3Bc5De7Fg9Hj1Kl3Mn5Pq7Rs9Tu1Vw3Xy5Za7Bc9De1Fg3Hj5Kl7Mn9Pq1Rs3Tu5Vw7Xy9',
      ),
    ],
    ['grafana', fake('glsa_', 'AbCdEfGhIjKlMnOpQrStUvWxYz012345', '_0a1b2c3d')],
    ['new relic', fake('NRAK-', 'A1B2C3D4E5F6G7H8I9J0K1L2M3N')],
    ['databricks', fake('dapi', '0123456789abcdef0123456789abcdef')],
    ['a random key', fake('9sK2mPq7XwL4', 'vR8nT1bY6cZ3dF5gH0jA')],
  ])('masks a %s token', (_what, token) => {
    const line = `request signed with ${token} was refused`;
    const { text, count } = redact(line);
    expect(text).toBe('request signed with [REDACTED] was refused');
    expect(count).toBe(1);
  });
});
