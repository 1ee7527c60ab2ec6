// @ts-check

/**
 * Queue wake-ups across replicas: on PostgreSQL every statement that inserts jobs notifies the
 * `ai_triage_jobs` channel from inside its transaction (delivered on commit, dropped on rollback,
 * folded into one per transaction), so workers listening on any replica claim at once. SQLite
 * runs in one process, where the queue wakes its workers directly.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  if (knex.client.config.client !== 'pg') {
    return;
  }
  await knex.raw(`
    create or replace function ai_triage_notify_jobs() returns trigger
    language plpgsql as $$
    begin
      perform pg_notify('ai_triage_jobs', '');
      return null;
    end
    $$`);
  await knex.raw(`
    create trigger ai_triage_jobs_notify
    after insert on jobs
    for each statement execute function ai_triage_notify_jobs()`);
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client !== 'pg') {
    return;
  }
  await knex.raw('drop trigger if exists ai_triage_jobs_notify on jobs');
  await knex.raw('drop function if exists ai_triage_notify_jobs()');
};
