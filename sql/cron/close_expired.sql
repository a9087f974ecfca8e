-- Every five minutes: recurring sessions past their valid_until close.
-- Declares the job; `sessionkeeper migrate` puts it into pg_cron, which runs the command as sessionkeeper_cron.
INSERT INTO sessionkeeper_meta.cron_jobs (jobname, schedule, command)
VALUES (
    'sessionkeeper-close-expired',
    '*/5 * * * *',
    $$SELECT count(*) FROM scheduling.auto_close_expired_sessions()$$
)
ON CONFLICT (jobname) DO UPDATE SET schedule = excluded.schedule, command = excluded.command;
