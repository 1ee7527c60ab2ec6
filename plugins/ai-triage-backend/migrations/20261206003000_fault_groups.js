// @ts-check

/**
 * Fault groups: incidents traced to one fault (the same probable origin in overlapping windows)
 * share one triage, the lead's. `incidents.fault_group_id` says which group an incident is in;
 * `fault_groups.lead_incident_id` which member's enrichment and reasoning the group shows
 * (docs/architecture.md, "Fault groups").
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('fault_groups', table => {
    table.string('id').primary();
    table.string('origin').notNullable().comment('The probable origin service');
    table.string('origin_entity_ref').nullable();
    table.string('lead_incident_id').notNullable();
    table
      .string('method')
      .notNullable()
      .comment(
        'What placed the origin: localization, or trace-edges between alerted services',
      );
    table
      .text('services')
      .notNullable()
      .comment(
        'JSON array: the services of the fault graph (path, suspects, edges, members)',
      );
    table
      .text('path')
      .notNullable()
      .comment('JSON array: alerted service to origin');
    table.timestamp('first_seen_at', { useTz: true }).notNullable();
    table.timestamp('last_seen_at', { useTz: true }).notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.index(['last_seen_at'], 'fault_groups_last_seen_idx');
  });
  await knex.schema.alterTable('incidents', table => {
    table.string('fault_group_id').nullable();
    table.index(['fault_group_id'], 'incidents_fault_group_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('incidents', table => {
    table.dropIndex(['fault_group_id'], 'incidents_fault_group_idx');
    table.dropColumn('fault_group_id');
  });
  await knex.schema.dropTable('fault_groups');
};
