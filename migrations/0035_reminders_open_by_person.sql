-- The open outbox rows of one person, found without a scan: withdrawing WhatsApp consent and erasing a person close
-- every pending or leased message to them (scheduling_internal.close_person_messages) in the caller's transaction.

CREATE INDEX reminders_open_person_idx ON scheduling.reminders (person_id)
WHERE state IN ('pending', 'leased');
