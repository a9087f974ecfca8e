-- Sends and failures by the time they happened: the dashboard's hourly chart (reminder_activity_by_hour) reads
-- the outbox history of the last two days off this index instead of every history row ever written.
CREATE INDEX reminder_state_history_outcomes_idx ON scheduling.reminder_state_history (happened_at)
WHERE to_state IN ('sent', 'failed');
