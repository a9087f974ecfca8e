SELECT cron.schedule(
    'sessionkeeper-activate-sessions',
    '0 * * * *',
    $$SET ROLE sessionkeeper_cron; SELECT count(*) FROM scheduling.activate_scheduled_sessions()$$
);
