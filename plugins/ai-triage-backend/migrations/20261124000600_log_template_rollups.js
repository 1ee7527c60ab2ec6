// @ts-check

/**
 * Log template rollups of the embedded telemetry store: per service, minute, message shape and
 * level, how many records arrived, written by the OTLP receiver in the transaction that stores
 * the records, so enrichment counts an incident window's log templates exactly from a few rows
 * per shape and minute instead of reading every record.
 *
 * - `shape_key`: a hash of the message with its variables masked (see `logShapeOf`); stable across
 *   processes and restarts.
 * - `example`: the first record of the row's shape and minute (the message mined for it).
 * - `first_ms` / `last_ms`: the earliest and latest record time counted in the row.
 * - `trace_id`: the smallest trace id of the row's records (null when none has one), so a
 *   template ties to a trace even when none of its records is in enrichment's capped sample.
 *
 * The unique index serves both the upsert that increments `record_count` and enrichment's read
 * of one service's minutes; the minute index lets retention delete old rows without a scan.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('telemetry_log_shape_counts', table => {
    table.bigIncrements('id').primary();
    table.string('service_name').notNullable();
    table.bigInteger('minute_ms').notNullable();
    table.string('shape_key', 32).notNullable();
    table.integer('level_rank').notNullable();
    table.bigInteger('record_count').notNullable();
    table.bigInteger('first_ms').notNullable();
    table.bigInteger('last_ms').notNullable();
    table.text('example').notNullable();
    table.string('trace_id', 32).nullable();
    table.unique(['service_name', 'minute_ms', 'shape_key', 'level_rank'], {
      indexName: 'telemetry_log_shape_counts_key_idx',
    });
    table.index(['minute_ms'], 'telemetry_log_shape_counts_minute_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTableIfExists('telemetry_log_shape_counts');
};
