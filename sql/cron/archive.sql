SELECT cron.schedule(
    'sessionkeeper-archive',
    '30 3 * * *',
    $$SET ROLE sessionkeeper_cron; SELECT scheduling.archive_closed_sessions('90 days', 1000)$$
);
