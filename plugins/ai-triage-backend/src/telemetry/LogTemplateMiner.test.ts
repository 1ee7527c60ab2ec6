import { LogTemplateMiner, MessageShapes, tokenize } from './LogTemplateMiner';
import {
  groupingAccuracy,
  LOGHUB_SYSTEMS,
  loghubData,
  readLoghubDataset,
} from '../__testUtils__/loghub';

const fixtures = loghubData();

function loadLoghub(system: string) {
  return readLoghubDataset(fixtures.path('loghub'), system);
}

/** Grouping accuracy of the default miner on one Loghub 2k sample (see scripts/benchLogs.ts). */
function measure(system: string): number {
  const lines = loadLoghub(system);
  const miner = LogTemplateMiner.create();
  const predicted = lines
    .map(line => miner.add(line.content))
    .map(id => miner.canonicalId(id));
  return groupingAccuracy(
    predicted,
    lines.map(line => line.eventId),
  );
}

describe('LogTemplateMiner', () => {
  it('groups messages that differ only in their variables', () => {
    const miner = LogTemplateMiner.create();
    const a = miner.add('Connection to 10.0.0.12:5432 timed out after 3000 ms');
    const b = miner.add('Connection to 10.0.0.13:5432 timed out after 2999 ms');
    const c = miner.add(
      'payment 7d1c0a4e-0d3b-4f8e-9a51-2f0c1e9b7a10 declined by issuer',
    );
    const d = miner.add(
      'payment 0b9a7c1e-5e2d-4a0f-8c3b-1d2e3f4a5b6c declined by issuer',
    );
    const e = miner.add('Connection to 10.0.0.12:5432 refused');

    expect(a).toBe(b);
    expect(c).toBe(d);
    expect(new Set([a, c, e]).size).toBe(3);
    expect(miner.templates()).toEqual([
      { id: a, template: 'Connection to <*> timed out after <*> ms', count: 2 },
      { id: c, template: 'payment <*> declined by issuer', count: 2 },
      { id: e, template: 'Connection to <*> refused', count: 1 },
    ]);
  });

  it('turns positions that differ into wildcards once the template is similar enough', () => {
    const miner = LogTemplateMiner.create({ similarityThreshold: 0.7 });
    const a = miner.add('order sync finished with status ok in eu-west');
    const b = miner.add('order sync finished with status failed in eu-west');
    const c = miner.add('order sync finished while shutting down the worker');
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(miner.template(a)).toBe(
      'order sync finished with status <*> in eu-west',
    );
  });

  it.each([
    ['GET /api/v1/orders/42 took 35.5ms, 2.5MB', 'GET <*> took <*>, <*>'],
    ['utf8 ipv6 e2e sha256', 'utf8 ipv6 e2e sha256'],
    ['read C:\\Windows\\winsxs\\cbscore.dll', 'read <*>'],
    ['ptr 0x7fed806eb5d tx 9f4ef63a1 ok', 'ptr <*> tx <*> ok'],
    [
      'block blk_-6952295868487656571 of size 67108864',
      'block blk_<*> of size <*>',
    ],
    ['host=10.1.2.3 retries=-1 utf8', 'host=<*> retries=<*> utf8'],
    [
      'connection at Fri Jun 17 07:07:00 2005 from 24.54.76.216',
      'connection at <*> <*>:<*>:<*> <*> from <*>',
    ],
    ['id 7D1C0A4E-0D3B-4F8E-9A51-2F0C1E9B7A10', 'id <*>'],
    ['no digits /var/log/app.log here', 'no digits <*> here'],
    ['order ord_mxcdppay2093 placed: 1 items', 'order <*> placed: <*> items'],
    ['charged user u123 for a1b2c3d4e5', 'charged user <*> for <*>'],
    ['connect to db-1.internal:5432 refused', 'connect to <*> refused'],
    ['read 2048B from cache', 'read <*> from cache'],
    [
      'payments 3.0.4 listening on port 37417',
      'payments 3.0.4 listening on port <*>',
    ],
    ['started v2.8.0-rc.1 at 12:00', 'started v2.8.0-rc.1 at <*>:<*>'],
  ])('masks variables in %j', (message, masked) => {
    expect(tokenize(message).join(' ')).toBe(masked);
  });

  it('keeps messages apart whose plain words differ, as different events', () => {
    const miner = LogTemplateMiner.create();
    const a = miner.add('task 17 transitioned from NEW to SCHEDULED');
    const b = miner.add('task 18 transitioned from NEW to SCHEDULED');
    const c = miner.add('task 19 transitioned from SCHEDULED to RUNNING');
    const d = miner.add('session 77 initialized by client WindowsUpdateAgent');
    const e = miner.add('session 78 initialized by client SPP');
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(e).not.toBe(d);
  });

  it('makes a word position a variable once `mergeAfter` (here three) templates differ only there', () => {
    const miner = LogTemplateMiner.create({ mergeAfter: 3 });
    const alice = miner.add('session opened for alice by sshd');
    const bob = miner.add('session opened for bob by sshd');
    expect(bob).not.toBe(alice);
    const carol = miner.add('session opened for carol by sshd');
    expect(carol).toBe(alice);
    expect(miner.canonicalId(bob)).toBe(alice);
    expect(miner.template(bob)).toBe('session opened for <*> by sshd');
    expect(miner.add('session opened for dave by sshd')).toBe(alice);
    expect(miner.templates()).toEqual([
      {
        id: alice,
        template: 'session opened for <*> by sshd',
        count: 4,
      },
    ]);
  });

  it('groups messages by shape: digits 1-9 alike, mixed hex runs alike', () => {
    const shapes = new MessageShapes<string>();
    const shapeOf = (message: string) => shapes.valueOf(message, () => message);
    expect(shapeOf('request 3fa9b2c1 done in 35 ms')).toBe(
      shapeOf('request 0b9a7c1e done in 99 ms'),
    );
    expect(shapeOf('request 3fa9b2c1 done in 35 ms')).toBe(
      shapeOf('request 3fa9b2c1 done in 12 ms'),
    );
    for (const other of [
      'request 3fa9b2c1 done in 350 ms',
      'request 12345678 done in 35 ms',
      'request 3fa9b2c1 done in 30 ms',
      'request feedface done in 35 ms',
      'request 3fa9b2c1 sent in 35 ms',
    ]) {
      expect(shapeOf(other)).toBe(other);
    }
  });

  fixtures.it(
    'masks messages of one shape at the same places, on every Loghub sample',
    () => {
      // What only a kept character may tell apart: hex-class characters, written as h.
      const masked = (message: string) =>
        tokenize(message)
          .join(' ')
          .replace(/[0-9a-fA-F]/g, 'h');
      for (const system of LOGHUB_SYSTEMS) {
        const shapes = new MessageShapes<string>();
        for (const { content } of loadLoghub(system)) {
          const first = shapes.valueOf(content, () => content);
          expect(masked(content)).toBe(masked(first));
        }
      }
    },
  );

  fixtures.it('is deterministic', () => {
    const lines = loadLoghub('Zookeeper').map(line => line.content);
    const first = LogTemplateMiner.create();
    const second = LogTemplateMiner.create();
    expect(lines.map(line => first.add(line))).toEqual(
      lines.map(line => second.add(line)),
    );
    expect(first.templates()).toEqual(second.templates());
  });

  // Grouping accuracy measured with the one default configuration (chosen on HDFS, Spark, BGL,
  // Thunderbird and Linux; Hadoop, Zookeeper, HPC, Windows and Android are held out, see
  // scripts/benchLogs.ts); each floor sits about 0.01 under it, so a change that makes grouping
  // worse fails here.
  fixtures.it.each([
    ['HDFS', 0.998, 0.99],
    ['Hadoop', 0.888, 0.878],
    ['Spark', 1.0, 0.99],
    ['Zookeeper', 0.989, 0.98],
    ['BGL', 0.991, 0.98],
    ['HPC', 0.905, 0.895],
    ['Thunderbird', 0.958, 0.948],
    ['Windows', 0.996, 0.986],
    ['Linux', 0.939, 0.929],
    ['Android', 0.922, 0.912],
  ])(
    'groups the Loghub %s 2k sample (measured %p) with accuracy of at least %p',
    (system, _, floor) => {
      expect(measure(system)).toBeGreaterThanOrEqual(floor);
    },
  );
});
