// @ts-check

/**
 * Indexes of the embedded telemetry store for its two hot paths:
 * - enrichment reads one service's newest records in a window
 *   (`WHERE service_name = ? AND time >= ? AND time < ? ORDER BY time DESC, id DESC LIMIT n`):
 *   (service_name, time, id) lets the database walk the index backwards and stop after n rows,
 *   instead of sorting the whole window; it replaces the (service_name, time) index.
 * - retention deletes everything older than a cutoff (`WHERE time < ?`): a time index keeps that
 *   from scanning the whole table every run.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  for (const [table, time] of [
    ['telemetry_spans', 'start_time_ms'],
    ['telemetry_logs', 'timestamp_ms'],
    ['telemetry_metric_points', 'timestamp_ms'],
  ]) {
    await knex.schema.alterTable(table, t => {
      t.index(['service_name', time, 'id'], `${table}_service_time_id_idx`);
      t.index([time], `${table}_time_idx`);
    });
    await knex.schema.alterTable(table, t => {
      t.dropIndex(['service_name', time]);
    });
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  for (const [table, time] of [
    ['telemetry_spans', 'start_time_ms'],
    ['telemetry_logs', 'timestamp_ms'],
    ['telemetry_metric_points', 'timestamp_ms'],
  ]) {
    await knex.schema.alterTable(table, t => {
      t.index(['service_name', time]);
    });
    await knex.schema.alterTable(table, t => {
      t.dropIndex(['service_name', time, 'id'], `${table}_service_time_id_idx`);
      t.dropIndex([time], `${table}_time_idx`);
    });
  }
};
