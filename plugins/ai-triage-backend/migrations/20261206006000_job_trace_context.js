// @ts-check

/**
 * One trace per incident: a job row carries the W3C `traceparent` of the span that queued it,
 * so the worker that claims it (in any process, after any restart) continues the trace; and
 * `triage_started_at`, when the triage this job belongs to began (the alert's acceptance,
 * copied from the enrich job to the reason job it queues), for the alert → hypotheses latency.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('jobs', table => {
    table
      .string('traceparent', 55)
      .nullable()
      .comment('W3C traceparent of the span that queued the job');
    table
      .timestamp('triage_started_at', { useTz: true })
      .nullable()
      .comment('When the triage this job belongs to began');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('jobs', table => {
    table.dropColumn('traceparent');
    table.dropColumn('triage_started_at');
  });
};
