SELECT cron.schedule(
    'sessionkeeper-generate-recurring', '0 0 * * *', $$SELECT scheduling.generate_all_recurring_sessions(30)$$
);
