// @ts-check

/**
 * Calibration learned from reviews: per reasoner and rule family (fault kind), the reviewed
 * hypotheses and the accepted ones per probability bin. Recomputed by a scheduled task.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('calibration_bins', table => {
    table.comment(
      'Acceptance per probability bin from reviews; rewritten whole by the calibration task',
    );
    table.string('reasoner').notNullable();
    table.string('family').notNullable();
    table.integer('bin').notNullable().comment('0..4: [bin/5, (bin+1)/5)');
    table.integer('reviews').notNullable();
    table.integer('accepted').notNullable();
    table.timestamp('computed_at', { useTz: true }).notNullable();
    table.primary(['reasoner', 'family', 'bin']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('calibration_bins');
};
