SELECT cron.schedule(
    'sessionkeeper-close-expired',
    '*/5 * * * *',
    $$SET ROLE sessionkeeper_cron; SELECT count(*) FROM scheduling.auto_close_expired_sessions()$$
);
