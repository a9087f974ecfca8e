-- Every minute: every due status change (scheduling.tick).
-- Declares the job; `sessionkeeper migrate` puts it into pg_cron, which runs the command as sessionkeeper_cron.
INSERT INTO sessionkeeper_meta.cron_jobs (jobname, schedule, command)
VALUES (
    'sessionkeeper-tick',
    '* * * * *',
    $$SELECT scheduling.tick()$$
)
ON CONFLICT (jobname) DO UPDATE SET schedule = excluded.schedule, command = excluded.command;
