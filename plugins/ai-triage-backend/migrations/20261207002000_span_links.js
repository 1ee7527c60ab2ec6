// @ts-check

/**
 * Span links (OTLP `Span.links`): a consumer of a queue continues no producer's trace, it links
 * to the producer spans of the messages it handles. Localization reads these links as calls
 * from the producer's service to the consumer's, so a fault in a consumer is reached from the
 * services that feed it. A JSON array of `{ traceId, spanId }`, null when the span has none.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('telemetry_spans', table => {
    table
      .text('links')
      .nullable()
      .comment('JSON array of {traceId, spanId}: the spans this one links to');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('telemetry_spans', table => {
    table.dropColumn('links');
  });
};
