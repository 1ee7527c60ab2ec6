// @ts-check

/**
 * The incident workflow: who set an incident's status and when (with the history of changes),
 * its ticket reference, its current root cause (the last accepted or modified hypothesis), and a
 * payload on jobs so outbound deliveries (webhooks, ticket comments) run through the same
 * durable queue as triage.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('incidents', table => {
    table.string('status_changed_by').nullable();
    table.timestamp('status_changed_at', { useTz: true }).nullable();
    table
      .text('ticket_ref')
      .nullable()
      .comment('JSON TicketRef set in the portal; null: derived from alerts');
    table
      .text('current_root_cause')
      .nullable()
      .comment(
        'JSON CurrentRootCause: the last accepted or modified hypothesis',
      );
  });
  await knex.schema.createTable('incident_status_changes', table => {
    table.comment('Append-only history of status changes made by people');
    table.bigIncrements('id').primary();
    table
      .string('incident_id')
      .notNullable()
      .references('id')
      .inTable('incidents')
      .onDelete('CASCADE');
    table.string('from_status').notNullable();
    table.string('to_status').notNullable();
    table.string('actor').notNullable();
    table.text('comment').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.index(['incident_id']);
  });
  await knex.schema.alterTable('jobs', table => {
    table
      .text('payload')
      .nullable()
      .comment('JSON input of deliver jobs (target and body); null for triage');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('jobs', table => {
    table.dropColumn('payload');
  });
  await knex.schema.dropTable('incident_status_changes');
  await knex.schema.alterTable('incidents', table => {
    table.dropColumn('status_changed_by');
    table.dropColumn('status_changed_at');
    table.dropColumn('ticket_ref');
    table.dropColumn('current_root_cause');
  });
};
