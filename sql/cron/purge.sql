-- Every hour at minute 20: provider events, inbound messages and the heartbeats of workers gone quiet older than
-- the retention age (scheduling.retention_settings, default 7 days), and recipient_pacing rows already passed,
-- at most 10,000 rows per table per run (scheduling.purge_old_records).
-- pg_cron's own run history is deleted by the cron-history job that runner/schedules.py adds in pg_cron's
-- database (row-level security there lets only the login that owns the jobs delete their runs).
-- Declares the job; `sessionkeeper migrate` puts it into pg_cron, which runs the command as sessionkeeper_cron.
INSERT INTO sessionkeeper_meta.cron_jobs (jobname, schedule, command)
VALUES (
    'sessionkeeper-purge',
    '20 * * * *',
    $$SELECT scheduling.purge_old_records()$$
)
ON CONFLICT (jobname) DO UPDATE SET schedule = excluded.schedule, command = excluded.command;
