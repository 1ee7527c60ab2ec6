import { ConfigReader } from '@backstage/config';
import { JsonObject } from '@backstage/types';
import { readAiTriageConfig } from './config';
import { readPolicyAdmins } from './permissions/AiTriageOwnershipPolicy';
import { readCalibrationConfig } from './evaluation/calibration';
import { readOutboundConfig } from './outbound/readOutboundConfig';

function configOf(aiTriage: JsonObject) {
  return new ConfigReader({ aiTriage });
}

describe('readAiTriageConfig', () => {
  it('applies the defaults of config.d.ts', () => {
    const config = readAiTriageConfig(new ConfigReader({}));
    expect(config.workers).toMatchObject({
      enabled: true,
      stages: ['intake', 'enrich', 'reason', 'deliver'],
      concurrencyByType: { enrich: 2, reason: 2, deliver: 2 },
      leaseMs: 300_000,
      maxAttempts: 5,
    });
    expect(config.slo.triageObjective).toBe(0.99);
    expect(config.correlation.reopenWindowMs).toBe(60 * 60_000);
    expect(config.grouping).toEqual({
      enabled: true,
      windowMs: 15 * 60_000,
      waitMs: 0,
    });
    expect(config.intake.limits.maxBodyBytes).toBe(1_048_576);
    expect(config.enrichment.redaction).toEqual({
      emails: true,
      ipAddresses: false,
      patterns: [],
    });
    expect(config.enrichment.localizationMaxDepth).toBe(4);
    expect(config.telemetry.retentionMs).toBe(24 * 3_600_000);
    expect(config.retention.reviewedIncidentsMs).toBe(730 * 86_400_000);
    expect(config.otlp.maxEntries).toBe(10_000);
  });

  it('takes values substituted from the environment, which are strings', () => {
    const config = readAiTriageConfig(
      configOf({
        workers: { concurrency: '4', enabled: 'yes' },
        grouping: { enabled: 'off', waitSeconds: ' 30 ' },
      }),
    );
    expect(config.workers.concurrencyByType.reason).toBe(4);
    expect(config.grouping).toMatchObject({ enabled: false, waitMs: 30_000 });
  });

  it.each<[string, JsonObject, string]>([
    [
      'workers',
      { workers: { stages: ['enrich', 'triage'] } },
      'aiTriage.workers.stages[1] must be one of intake, enrich, reason, deliver, got triage',
    ],
    [
      'workers',
      { workers: { reason: { concurrency: 0 } } },
      'aiTriage.workers.reason.concurrency must be a positive number, got 0',
    ],
    [
      'slo',
      { slo: { triageObjective: 1 } },
      'aiTriage.slo.triageObjective must be between 0 and 1, got 1',
    ],
    [
      'correlation',
      { correlation: { reopenWindowMinutes: 'an hour' } },
      'aiTriage.correlation.reopenWindowMinutes must be a number, got an hour',
    ],
    [
      'grouping',
      { grouping: { waitSeconds: -1 } },
      'aiTriage.grouping.waitSeconds must be 0 or more, got -1',
    ],
    [
      'grouping',
      { grouping: { enabled: 'sometimes' } },
      'aiTriage.grouping.enabled must be true or false, got sometimes',
    ],
    [
      'intake',
      { intake: { maxBodyBytes: 0 } },
      'aiTriage.intake.maxBodyBytes must be a positive number, got 0',
    ],
    [
      'enrichment',
      { enrichment: { localization: { maxDepth: 1.5 } } },
      'aiTriage.enrichment.localization.maxDepth must be a whole number of at least 0, got 1.5',
    ],
    [
      'enrichment',
      { enrichment: { redaction: { patterns: [{ pattern: 'x+' }] } } },
      'aiTriage.enrichment.redaction.patterns[0].name is required',
    ],
    [
      'telemetry',
      { telemetry: { retentionHours: -24 } },
      'aiTriage.telemetry.retentionHours must be a positive number, got -24',
    ],
    [
      'retention',
      { retention: { jobsDays: 0 } },
      'aiTriage.retention.jobsDays must be a positive number, got 0',
    ],
    [
      'otlp',
      { otlp: { maxDepth: [32] } },
      'aiTriage.otlp.maxDepth must be a number, got [32]',
    ],
  ])('names the key of a bad %s value', (_section, aiTriage, message) => {
    expect(() => readAiTriageConfig(configOf(aiTriage))).toThrow(message);
  });

  it('names every bad key at once, and a section that is not a map', () => {
    expect(() =>
      readAiTriageConfig(
        configOf({ slo: { llmTriageSeconds: 0 }, otlp: { maxEntries: 0 } }),
      ),
    ).toThrow(
      'aiTriage.slo.llmTriageSeconds must be a positive number, got 0; aiTriage.otlp.maxEntries must be a positive number, got 0',
    );
    expect(() => readAiTriageConfig(configOf({ intake: [] }))).toThrow(
      'aiTriage.intake must be a map of keys to values, got []',
    );
  });
});

describe('readCalibrationConfig', () => {
  it('applies its defaults and names the key of a bad value', () => {
    expect(readCalibrationConfig(new ConfigReader({}))).toEqual({
      enabled: true,
      minReviews: 50,
      windowDays: 90,
      frequencyMinutes: 60,
    });
    expect(() =>
      readCalibrationConfig(
        configOf({ reasoning: { calibration: { minReviews: 0 } } }),
      ),
    ).toThrow(
      'aiTriage.reasoning.calibration.minReviews must be a whole number of at least 1, got 0',
    );
  });
});

describe('readOutboundConfig', () => {
  it('applies its defaults', () => {
    expect(
      readOutboundConfig(
        configOf({
          outbound: {
            webhooks: [{ url: 'https://hooks.example.com/a' }],
            tickets: { github: { token: 't' } },
          },
        }),
      ),
    ).toMatchObject({
      maxAttempts: 8,
      timeoutMs: 10_000,
      webhooks: [
        {
          name: 'webhook-1',
          url: 'https://hooks.example.com/a',
          format: 'json',
          filter: {},
        },
      ],
      tickets: { github: { baseUrl: 'https://api.github.com', token: 't' } },
    });
  });

  it.each<[JsonObject, string]>([
    [
      { webhooks: [{ url: 'ftp://hooks.example.com' }] },
      'aiTriage.outbound.webhooks[0].url must be an http(s) URL, got ftp://hooks.example.com',
    ],
    [
      {
        webhooks: [
          { name: 'ops', url: 'https://a.example.com' },
          { name: 'ops', url: 'https://b.example.com' },
        ],
      },
      'aiTriage.outbound.webhooks[1].name repeats the name of another webhook, got ops',
    ],
    [
      {
        webhooks: [
          { url: 'https://a.example.com', events: ['hypothesis.deleted'] },
        ],
      },
      'aiTriage.outbound.webhooks[0].events[0] must be one of incident.acknowledged',
    ],
    [
      { tickets: { jira: { baseUrl: 'https://acme.atlassian.net' } } },
      'aiTriage.outbound.tickets.jira.token is required',
    ],
    [
      { maxAttempts: 0 },
      'aiTriage.outbound.maxAttempts must be a whole number of at least 1, got 0',
    ],
  ])('names the key of a bad value in %j', (outbound, message) => {
    expect(() => readOutboundConfig(configOf({ outbound }))).toThrow(message);
  });
});

describe('readPolicyAdmins', () => {
  it('reads the admins, none by default, and names the key of a bad value', () => {
    expect(readPolicyAdmins(new ConfigReader({}))).toEqual([]);
    expect(
      readPolicyAdmins(
        configOf({ permissions: { admins: ['group:default/sre'] } }),
      ),
    ).toEqual(['group:default/sre']);
    expect(() =>
      readPolicyAdmins(
        configOf({ permissions: { admins: 'group:default/sre' } }),
      ),
    ).toThrow(
      'aiTriage.permissions.admins must be a list, got group:default/sre',
    );
  });
});
