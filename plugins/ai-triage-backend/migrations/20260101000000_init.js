// @ts-check

/**
 * The AI triage schema: deliveries, incidents and their alerts, the job queue, context documents,
 * triage runs with their hypotheses, reviews, and the embedded telemetry store.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('deliveries', table => {
    table.comment(
      'Accepted webhook deliveries; (source, delivery_key) makes a re-delivery a no-op',
    );
    table.string('id').primary();
    table.string('source').notNullable();
    table
      .string('delivery_key')
      .notNullable()
      .comment('sha256 of the raw body');
    table.integer('alert_count').notNullable();
    table
      .text('incident_ids')
      .notNullable()
      .comment('JSON array of the incidents it touched');
    table.timestamp('received_at', { useTz: true }).notNullable();
    table.unique(['source', 'delivery_key']);
  });

  await knex.schema.createTable('incidents', table => {
    table.string('id').primary();
    table.string('correlation_key').notNullable();
    table
      .string('active_key')
      .nullable()
      .unique()
      .comment(
        'correlation_key while open, NULL once resolved: at most one open incident per key',
      );
    table.string('title').notNullable();
    table.string('entity_ref').nullable();
    table.string('service_name').notNullable();
    table.string('namespace').nullable();
    table.string('cluster').nullable();
    table.string('severity').notNullable();
    table.string('status').notNullable();
    table.string('triage_state').notNullable();
    table.timestamp('first_seen_at', { useTz: true }).notNullable();
    table.timestamp('last_seen_at', { useTz: true }).notNullable();
    table.timestamp('resolved_at', { useTz: true }).nullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.index(['correlation_key', 'last_seen_at']);
    table.index(['entity_ref', 'last_seen_at']);
    table.index(['service_name', 'status']);
  });

  await knex.schema.createTable('alerts', table => {
    table.string('id').primary();
    table
      .string('incident_id')
      .notNullable()
      .references('id')
      .inTable('incidents')
      .onDelete('CASCADE');
    table.string('source').notNullable();
    table.string('fingerprint').notNullable();
    table.string('name').notNullable();
    table.string('status').notNullable();
    table.string('severity').notNullable();
    table.timestamp('starts_at', { useTz: true }).notNullable();
    table.timestamp('ends_at', { useTz: true }).nullable();
    table.text('labels').notNullable();
    table.text('annotations').notNullable();
    table.text('resource').notNullable();
    table.text('generator_url').nullable();
    table.timestamp('received_at', { useTz: true }).notNullable();
    table.unique(['incident_id', 'source', 'fingerprint']);
  });

  await knex.schema.createTable('jobs', table => {
    table.comment('Durable work queue driving the enrich and reason stages');
    table.bigIncrements('id').primary();
    table.string('type').notNullable();
    table.string('incident_id').notNullable();
    table
      .string('status')
      .notNullable()
      .comment('queued | running | done | dead');
    table.integer('attempts').notNullable().defaultTo(0);
    table.integer('max_attempts').notNullable();
    table.timestamp('run_after', { useTz: true }).notNullable();
    table.string('lease_owner').nullable();
    table.timestamp('lease_expires_at', { useTz: true }).nullable();
    table.text('last_error').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.timestamp('updated_at', { useTz: true }).notNullable();
    table.index(['status', 'run_after']);
    table.index(['incident_id']);
  });

  await knex.schema.createTable('context_documents', table => {
    table.bigIncrements('id').primary();
    table
      .string('incident_id')
      .notNullable()
      .references('id')
      .inTable('incidents')
      .onDelete('CASCADE');
    table
      .bigInteger('job_id')
      .notNullable()
      .unique()
      .comment('the enrich job that built it');
    table.integer('schema_version').notNullable();
    table.text('document').notNullable();
    table.integer('size_bytes').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.index(['incident_id']);
  });

  await knex.schema.createTable('triage_runs', table => {
    table.string('id').primary();
    table
      .string('incident_id')
      .notNullable()
      .references('id')
      .inTable('incidents')
      .onDelete('CASCADE');
    table.bigInteger('context_id').notNullable();
    table.string('reasoner').notNullable();
    table.boolean('insufficient_evidence').notNullable();
    table.integer('latency_ms').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.unique(['incident_id', 'context_id']);
  });

  await knex.schema.createTable('hypotheses', table => {
    table.string('id').primary();
    table
      .string('run_id')
      .notNullable()
      .references('id')
      .inTable('triage_runs')
      .onDelete('CASCADE');
    table.string('incident_id').notNullable();
    table.integer('rank').notNullable();
    table.text('root_cause').notNullable();
    table.text('affected_components').notNullable();
    table.string('confidence').notNullable();
    table.text('reasoning').notNullable();
    table.text('diagnostic_steps').notNullable();
    table.text('evidence_ids').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.index(['incident_id']);
  });

  await knex.schema.createTable('reviews', table => {
    table.comment(
      'Append-only; the highest id per hypothesis is its current review',
    );
    table.bigIncrements('id').primary();
    table
      .string('hypothesis_id')
      .notNullable()
      .references('id')
      .inTable('hypotheses')
      .onDelete('CASCADE');
    table.string('incident_id').notNullable();
    table.string('decision').notNullable();
    table.text('comment').nullable();
    table.text('modified_root_cause').nullable();
    table.string('reviewer').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.index(['hypothesis_id']);
  });

  await knex.schema.createTable('telemetry_spans', table => {
    table.bigIncrements('id').primary();
    table.string('service_name').notNullable();
    table.string('trace_id', 32).notNullable();
    table.string('span_id', 16).notNullable();
    table.string('parent_span_id', 16).nullable();
    table.text('name').notNullable();
    table.integer('kind').notNullable();
    table.bigInteger('start_time_ms').notNullable();
    table.double('duration_ms').notNullable();
    table.integer('status_code').notNullable();
    table.text('status_message').nullable();
    table.string('peer_service').nullable();
    table.text('attributes').notNullable();
    table.unique(['trace_id', 'span_id']);
    table.index(['service_name', 'start_time_ms']);
  });

  await knex.schema.createTable('telemetry_logs', table => {
    table.bigIncrements('id').primary();
    table.string('service_name').notNullable();
    table.bigInteger('timestamp_ms').notNullable();
    table.string('severity_text').notNullable();
    table.integer('severity_number').notNullable();
    table.text('body').notNullable();
    table.string('trace_id', 32).nullable();
    table.string('span_id', 16).nullable();
    table.text('attributes').notNullable();
    table.index(['service_name', 'timestamp_ms']);
  });

  await knex.schema.createTable('telemetry_metric_points', table => {
    table.bigIncrements('id').primary();
    table.string('service_name').notNullable();
    table.string('name').notNullable();
    table.bigInteger('timestamp_ms').notNullable();
    table.double('value').notNullable();
    table.text('attributes').notNullable();
    table.index(['service_name', 'timestamp_ms']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  for (const table of [
    'telemetry_metric_points',
    'telemetry_logs',
    'telemetry_spans',
    'reviews',
    'hypotheses',
    'triage_runs',
    'context_documents',
    'jobs',
    'alerts',
    'incidents',
    'deliveries',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
};
