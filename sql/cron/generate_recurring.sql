SELECT cron.schedule(
    'sessionkeeper-generate-recurring',
    '0 0 * * *',
    $$SET ROLE sessionkeeper_cron; SELECT scheduling.generate_all_recurring_sessions(30)$$
);
