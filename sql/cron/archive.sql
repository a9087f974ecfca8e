-- Every night at 03:30: sessions closed more than 90 days ago move to the archive tables, 1,000 at a time.
-- Declares the job; `sessionkeeper migrate` puts it into pg_cron, which runs the command as sessionkeeper_cron.
INSERT INTO sessionkeeper_meta.cron_jobs (jobname, schedule, command)
VALUES (
    'sessionkeeper-archive',
    '30 3 * * *',
    $$SELECT scheduling.archive_closed_sessions('90 days', 1000)$$
)
ON CONFLICT (jobname) DO UPDATE SET schedule = excluded.schedule, command = excluded.command;
