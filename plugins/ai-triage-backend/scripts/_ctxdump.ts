import knexFactory from 'knex';
import { replayScenario } from '../src/__testUtils__/scenarios';
(async () => {
  const knex = knexFactory({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
  const r = await replayScenario(process.argv[2], knex);
  const c: any = r.context;
  console.log(JSON.stringify({ deps: c.dependencies, ops: c.operations, logs: c.logTemplates.map((t: any) => ({ ...t, sample: undefined })), metrics: c.metricDeltas }, null, 1));
  await knex.destroy();
})();
