import { redact } from './redact';

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
