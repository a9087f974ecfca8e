-- Every night at midnight: every active template generates its sessions the default number of days ahead
-- (scheduling_internal.default_generation_days, which generate_all_recurring_sessions' p_days_ahead defaults to).
-- Declares the job; `sessionkeeper migrate` puts it into pg_cron, which runs the command as sessionkeeper_cron.
INSERT INTO sessionkeeper_meta.cron_jobs (jobname, schedule, command)
VALUES (
    'sessionkeeper-generate-recurring',
    '0 0 * * *',
    $$SELECT scheduling.generate_all_recurring_sessions()$$
)
ON CONFLICT (jobname) DO UPDATE SET schedule = excluded.schedule, command = excluded.command;
