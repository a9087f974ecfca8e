SELECT cron.schedule('sessionkeeper-tick', '* * * * *', $$SELECT scheduling.tick()$$);
