-- Every night at midnight: every active template generates its sessions 30 days ahead.
-- Declares the job; `sessionkeeper migrate` puts it into pg_cron, which runs the command as sessionkeeper_cron.
INSERT INTO sessionkeeper_meta.cron_jobs (jobname, schedule, command)
VALUES (
    'sessionkeeper-generate-recurring',
    '0 0 * * *',
    $$SELECT scheduling.generate_all_recurring_sessions(30)$$
)
ON CONFLICT (jobname) DO UPDATE SET schedule = excluded.schedule, command = excluded.command;
