// @ts-check

/**
 * Alert intake for every sender: alerts are looked up by their sender's id (PagerDuty's
 * `dedup_key` events), and a delivery records how many alerts its sender left out.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('alerts', table => {
    table.index(['source', 'fingerprint'], 'alerts_source_fingerprint_idx');
  });
  await knex.schema.alterTable('deliveries', table => {
    table
      .integer('truncated_alerts')
      .notNullable()
      .defaultTo(0)
      .comment("alerts the sender left out (Alertmanager's truncatedAlerts)");
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('deliveries', table => {
    table.dropColumn('truncated_alerts');
  });
  await knex.schema.alterTable('alerts', table => {
    table.dropIndex(['source', 'fingerprint'], 'alerts_source_fingerprint_idx');
  });
};
