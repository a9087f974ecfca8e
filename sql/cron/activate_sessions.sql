-- Every hour: recurring sessions become visible on their date.
-- Declares the job; `sessionkeeper migrate` puts it into pg_cron, which runs the command as sessionkeeper_cron.
INSERT INTO sessionkeeper_meta.cron_jobs (jobname, schedule, command)
VALUES (
    'sessionkeeper-activate-sessions',
    '0 * * * *',
    $$SELECT count(*) FROM scheduling.activate_scheduled_sessions()$$
)
ON CONFLICT (jobname) DO UPDATE SET schedule = excluded.schedule, command = excluded.command;
