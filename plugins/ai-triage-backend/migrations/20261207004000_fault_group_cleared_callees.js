// @ts-check

/**
 * What a fault group's view ruled out. A group placed by localization keeps the callees of its
 * origin whose calls that view compared with a known baseline and found unchanged (latency and
 * errors), and whose own behaviour did not change: a fault deeper behind them did not reach the
 * origin through those calls, so the group does not merge into that fault's (docs/architecture.md,
 * "Fault groups"). Groups stored before keep an empty list and merge as they did.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('fault_groups', table => {
    table
      .text('cleared_callees')
      .notNullable()
      .defaultTo('[]')
      .comment(
        'JSON array: callees of the origin whose calls the placing view found unchanged against a known baseline',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('fault_groups', table => {
    table.dropColumn('cleared_callees');
  });
};
