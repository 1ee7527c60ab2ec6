// @ts-check

/**
 * Re-triage when the evidence changes (docs/reasoning.md, "Re-triage when the evidence
 * arrives"). `evidence_watches` holds, per enriched incident, the (service, signal) pairs its
 * latest context lacked in the incident window; telemetry of such a pair arriving later queues
 * a delayed `enrich` job. `incidents.auto_retriages` counts the automatic re-triages queued, so
 * each incident has a bounded number of them.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('evidence_watches', table => {
    table.bigIncrements('id').primary();
    table.string('incident_id').notNullable();
    table
      .string('service_name')
      .notNullable()
      .comment('A service whose telemetry the latest context lacked');
    table
      .string('signal')
      .notNullable()
      .comment('spans, metrics or logs: the signal it lacked');
    table
      .bigInteger('since_ms')
      .notNullable()
      .comment(
        'Records at or after this instant (epoch ms) are the incident window',
      );
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.index(['service_name', 'signal'], 'evidence_watches_service_idx');
    table.index(['incident_id'], 'evidence_watches_incident_idx');
  });
  await knex.schema.alterTable('incidents', table => {
    table
      .integer('auto_retriages')
      .notNullable()
      .defaultTo(0)
      .comment('Automatic re-triages queued (evidence arrived, group changed)');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('incidents', table => {
    table.dropColumn('auto_retriages');
  });
  await knex.schema.dropTable('evidence_watches');
};
