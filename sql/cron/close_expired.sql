SELECT cron.schedule(
    'sessionkeeper-close-expired', '*/5 * * * *', $$SELECT count(*) FROM scheduling.auto_close_expired_sessions()$$
);
