import { InputError } from '@backstage/errors';
import { DEFAULT_INPUT_BOUNDS } from './inputBounds';
import { parseJsonSliced } from './jsonBody';
import {
  EventLoopStalls,
  describeStalls,
} from '../__testUtils__/eventLoopStalls';

const bytes = (text: string) => Buffer.from(text, 'utf8');

function nested(levels: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = { [`k${i}`]: [value] };
  return value;
}

describe('parseJsonSliced', () => {
  it('builds what JSON.parse builds, across slice boundaries inside characters and escapes', async () => {
    const documents = [
      { alerts: [{ labels: { env: 'prod', ünï: '日本語 😀' } }] },
      [1, -2.5e-3, 1e300, 12345678901234567890, true, false, null, '', {}],
      { escaped: 'a\\"b\\n\t\u2028\u00e9', '': { nested: [[[]]] } },
      { __proto__: { polluted: true }, ordinary: 1 },
    ].map(d => JSON.stringify(d));
    documents.push('{"__proto__": {"polluted": true}}');
    for (const text of documents) {
      for (const sliceBytes of [1, 3, 7, 16_384]) {
        const parsed = (await parseJsonSliced(bytes(text), {
          sliceBytes,
        })) as Record<string, unknown>;
        expect(parsed).toEqual(JSON.parse(text));
        expect(Object.getPrototypeOf(parsed)).toBe(
          Object.getPrototypeOf(JSON.parse(text)),
        );
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['{"alerts": [', /ends before the value does/],
    ['{"a": 1} {"b": 2}', /not valid JSON/],
    ['{"a": 1,}', /not valid JSON/],
    ['[1, 2]]', /not valid JSON/],
    ['{"a" 1}', /not valid JSON/],
    ['', /Body is empty/],
    ['"just a string"', /must be a JSON object or array/],
    ['42', /must be a JSON object or array/],
  ])('refuses %j with an InputError', async (text, message) => {
    const parsing = parseJsonSliced(bytes(text), {
      bounds: DEFAULT_INPUT_BOUNDS,
    });
    await expect(parsing).rejects.toThrow(InputError);
    await expect(parsing).rejects.toThrow(message);
  });

  it.each([
    [
      'nesting',
      { alerts: [{ deep: nested(1000) }] },
      /^Invalid request: alerts\[0\]\.deep(\.k\d+\[0\])+\.k\d+: nested deeper than 32 levels$/,
    ],
    [
      'a list',
      { alerts: Array.from({ length: 10_001 }, () => 1) },
      /^Invalid request: alerts: more than 10000 entries, over the limit of 10000$/,
    ],
    [
      'an object',
      {
        labels: Object.fromEntries(
          Array.from({ length: 10_001 }, (_, i) => [`k${i}`, 1]),
        ),
      },
      /^Invalid request: labels: more than 10000 entries/,
    ],
    [
      'a string',
      { alerts: [{ title: 'x'.repeat(1_048_577) }] },
      /^Invalid request: alerts\[0\]\.title: string of 1048577 characters, over the limit of 1048576$/,
    ],
    [
      'a NUL in a value',
      { alerts: [{ labels: { env: 'prod\u0000' } }] },
      /^Invalid request: alerts\[0\]\.labels\.env: contains a NUL character/,
    ],
    [
      'a NUL in a key',
      { alerts: [{ labels: { 'e\u0000nv': 'prod' } }] },
      /^Invalid request: alerts\[0\]\.labels: key contains a NUL character/,
    ],
  ])(
    'refuses %s past the bounds, naming where',
    async (_what, body, message) => {
      const parsing = parseJsonSliced(bytes(JSON.stringify(body)), {
        bounds: DEFAULT_INPUT_BOUNDS,
      });
      await expect(parsing).rejects.toThrow(InputError);
      await expect(parsing).rejects.toThrow(message);
    },
  );

  it('stands {} for what is nested past truncateDepth, and keeps the rest', async () => {
    const body = { records: [{ ok: 1 }, { deep: nested(1000) }, { ok: 2 }] };
    const parsed = (await parseJsonSliced(bytes(JSON.stringify(body)), {
      truncateDepth: 6,
    })) as any;
    expect(parsed.records[0]).toEqual({ ok: 1 });
    expect(parsed.records[2]).toEqual({ ok: 2 });
    expect(parsed.records[1].deep.k999[0].k998).toEqual({});
    await expect(
      parseJsonSliced(bytes(`{"a": ${'['.repeat(50)}}${']'.repeat(49)}}`), {
        truncateDepth: 6,
      }),
    ).rejects.toThrow(/closes what it did not open/);
  });

  it('keeps the event loop free while it parses an export of several megabytes', async () => {
    const body = bytes(
      JSON.stringify({
        resourceLogs: [
          {
            scopeLogs: [
              {
                logRecords: [
                  {
                    attributes: Array.from({ length: 100_000 }, (_, i) => ({
                      key: `attribute.${i}`,
                      value: { stringValue: `value ${i}` },
                    })),
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    expect(body.length).toBeGreaterThan(4_000_000);
    const stalls = new EventLoopStalls().start();
    const started = performance.now();
    const parsed = (await parseJsonSliced(body, { truncateDepth: 64 })) as any;
    const tookMs = performance.now() - started;
    const report = stalls.stop();
    expect(
      parsed.resourceLogs[0].scopeLogs[0].logRecords[0].attributes,
    ).toHaveLength(100_000);
    // eslint-disable-next-line no-console
    console.log(
      `parsed ${body.length} bytes in ${tookMs.toFixed(0)} ms; ${describeStalls(
        report,
      )}`,
    );
    expect(report.maxBlockedCpuMs).toBeLessThan(100);
  });
});
