SELECT cron.schedule(
    'sessionkeeper-tick',
    '* * * * *',
    $$SET ROLE sessionkeeper_cron; SELECT scheduling.tick()$$
);
