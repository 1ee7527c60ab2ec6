// @ts-check

/**
 * Reasoning at production strength: triage runs say whether a fallback answered (degraded), and
 * every call to an LLM endpoint leaves an audit record.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('triage_runs', table => {
    table
      .boolean('degraded')
      .notNullable()
      .defaultTo(false)
      .comment(
        'true when the fallback reasoner answered because the configured one failed',
      );
    table
      .text('degraded_reason')
      .nullable()
      .comment('why the configured reasoner did not answer');
  });

  await knex.schema.createTable('llm_calls', table => {
    table.comment(
      'Audit record of every call to an LLM endpoint: redacted prompt, response, tokens, outcome',
    );
    table.bigIncrements('id').primary();
    table
      .string('incident_id')
      .notNullable()
      .references('id')
      .inTable('incidents')
      .onDelete('CASCADE');
    table.string('reasoner').notNullable();
    table.string('model').notNullable();
    table.string('prompt_version').notNullable();
    table
      .integer('attempt')
      .notNullable()
      .comment('1 for the first call, 2 for the repair call');
    table
      .text('prompt')
      .notNullable()
      .comment('JSON array of the chat messages sent, redacted');
    table.text('response').nullable().comment('the answer text, redacted');
    table
      .string('outcome')
      .notNullable()
      .comment(
        'ok | insufficient_evidence | invalid_json | schema_invalid | timeout | rate_limited | server_error | http_error | connection_error | circuit_open',
      );
    table.text('error').nullable();
    table.integer('prompt_tokens').nullable();
    table.integer('completion_tokens').nullable();
    table.integer('total_tokens').nullable();
    table.integer('latency_ms').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable();
    table.index(['incident_id', 'id']);
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTableIfExists('llm_calls');
  await knex.schema.alterTable('triage_runs', table => {
    table.dropColumn('degraded_reason');
    table.dropColumn('degraded');
  });
};
