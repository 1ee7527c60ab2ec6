// @ts-check

/**
 * Indexes that let retention (src/retention/DatabaseRetention.ts) find what is past its time
 * without scanning: finished jobs by age, deliveries and LLM calls by age, and resolved
 * incidents by when they resolved. Retention deletes in small batches by id, so each batch is a
 * short statement that never holds intake.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('jobs', table => {
    table.index(['status', 'updated_at'], 'jobs_status_updated_at_idx');
  });
  await knex.schema.alterTable('deliveries', table => {
    table.index(['received_at'], 'deliveries_received_at_idx');
  });
  await knex.schema.alterTable('llm_calls', table => {
    table.index(['created_at'], 'llm_calls_created_at_idx');
  });
  await knex.schema.alterTable('incidents', table => {
    table.index(['status', 'resolved_at'], 'incidents_status_resolved_at_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('incidents', table => {
    table.dropIndex(
      ['status', 'resolved_at'],
      'incidents_status_resolved_at_idx',
    );
  });
  await knex.schema.alterTable('llm_calls', table => {
    table.dropIndex(['created_at'], 'llm_calls_created_at_idx');
  });
  await knex.schema.alterTable('deliveries', table => {
    table.dropIndex(['received_at'], 'deliveries_received_at_idx');
  });
  await knex.schema.alterTable('jobs', table => {
    table.dropIndex(['status', 'updated_at'], 'jobs_status_updated_at_idx');
  });
};
