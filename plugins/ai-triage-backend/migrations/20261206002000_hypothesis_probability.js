// @ts-check

/**
 * Hypotheses carry a probability (0..1) from which their confidence label is derived, the kind
 * of fault they name and the service where it began. Rows stored before keep NULL in all three:
 * no number was given for them; the store reads a NULL probability as the middle of the row's
 * confidence band (low 0.2, medium 0.55, high 0.85), and calibration can tell such rows apart by
 * the NULL.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('hypotheses', table => {
    table
      .double('probability')
      .nullable()
      .comment(
        'probability 0..1 that the hypothesis names the fault; NULL on rows stored before probabilities',
      );
    table
      .string('kind')
      .nullable()
      .comment('fault kind (FAULT_KINDS in -common); NULL when none was given');
    table
      .string('origin')
      .nullable()
      .comment('service where the fault began; NULL when none was named');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('hypotheses', table => {
    table.dropColumn('origin');
    table.dropColumn('kind');
    table.dropColumn('probability');
  });
};
