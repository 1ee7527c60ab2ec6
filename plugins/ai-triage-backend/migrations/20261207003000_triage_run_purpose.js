// @ts-check

/**
 * Replay runs beside live runs. `npm run replay -- --record` stores a re-reasoned case as a new
 * triage run with purpose `replay`; the incident view keeps showing its latest `live` run.
 * One live run per incident and context stays unique (a re-run of a reason job is still a
 * no-op), while any number of replay runs (other reasoners, models, prompts) may read the same
 * context. Runs also say which model and prompt version answered, so quality can be compared
 * per reasoner, model and prompt version.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('triage_runs', table => {
    table
      .string('purpose')
      .notNullable()
      .defaultTo('live')
      .comment(
        'live: answered an incident (what the incident view shows) | replay: recorded by npm run replay -- --record',
      );
    table
      .string('model')
      .nullable()
      .comment('the LLM model that answered; NULL for the heuristic');
    table
      .string('prompt_version')
      .nullable()
      .comment('the prompt version of an LLM answer; NULL for the heuristic');
    table.dropUnique(['incident_id', 'context_id']);
  });
  await knex.raw(
    `CREATE UNIQUE INDEX triage_runs_live_context_unique ON triage_runs (incident_id, context_id) WHERE purpose = 'live'`,
  );
};

/**
 * Replay runs are dropped: the old schema cannot tell them from live runs.
 *
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex('triage_runs').where('purpose', 'replay').delete();
  await knex.raw('DROP INDEX triage_runs_live_context_unique');
  await knex.schema.alterTable('triage_runs', table => {
    table.dropColumn('prompt_version');
    table.dropColumn('model');
    table.dropColumn('purpose');
  });
  // A statement of its own, after SQLite has rebuilt the table for the dropped columns (in one
  // alterTable with them, the index was sometimes missing afterwards).
  await knex.schema.alterTable('triage_runs', table => {
    table.unique(['incident_id', 'context_id']);
  });
};
