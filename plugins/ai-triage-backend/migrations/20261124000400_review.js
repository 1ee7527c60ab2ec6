// @ts-check

/**
 * Reviews that modify a hypothesis may correct its affected components and diagnostic steps too,
 * not only its root cause.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('reviews', table => {
    table
      .text('modified_affected_components')
      .nullable()
      .comment('JSON array, set when a modifying reviewer corrected them');
    table
      .text('modified_diagnostic_steps')
      .nullable()
      .comment('JSON array, set when a modifying reviewer corrected them');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('reviews', table => {
    table.dropColumn('modified_diagnostic_steps');
    table.dropColumn('modified_affected_components');
  });
};
