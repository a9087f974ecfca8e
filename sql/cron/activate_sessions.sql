SELECT cron.schedule(
    'sessionkeeper-activate-sessions', '0 * * * *', $$SELECT count(*) FROM scheduling.activate_scheduled_sessions()$$
);
