SELECT cron.schedule(
    'sessionkeeper-archive', '30 3 * * *', $$SELECT scheduling.archive_closed_sessions('90 days', 1000)$$
);
