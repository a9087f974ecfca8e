-- The pg_cron jobs sessionkeeper wants, declared in the application database itself.
--
-- pg_cron runs in one database of a server (cron.database_name), often `postgres`, not the application's. The files
-- of sql/cron therefore no longer call cron.schedule directly: each declares its job here, and `sessionkeeper migrate`
-- brings pg_cron in line with this table wherever pg_cron lives (cron.schedule in this database, or
-- cron.schedule_in_database from pg_cron's own). `sessionkeeper doctor` compares the two.

CREATE TABLE sessionkeeper_meta.cron_jobs (
    jobname text PRIMARY KEY,
    schedule text NOT NULL,
    command text NOT NULL,
    scheduled_as text,
    cron_database text,
    cron_jobid bigint,
    synced_at timestamptz,
    CONSTRAINT cron_jobs_jobname_shape CHECK (jobname ~ '^sessionkeeper-[a-z0-9-]{1,40}$'),
    CONSTRAINT cron_jobs_schedule_not_blank CHECK (btrim(schedule) <> ''),
    CONSTRAINT cron_jobs_command_not_blank CHECK (btrim(command) <> '')
);

COMMENT ON TABLE sessionkeeper_meta.cron_jobs IS
'The pg_cron jobs sessionkeeper wants (one row per sql/cron file). '
'command runs as sessionkeeper_cron in this database. '
'scheduled_as, cron_database and cron_jobid say where migrate last put the job in pg_cron.';
COMMENT ON COLUMN sessionkeeper_meta.cron_jobs.scheduled_as IS
'The login that owns the pg_cron job (pg_cron runs a job as the login that scheduled it).';
