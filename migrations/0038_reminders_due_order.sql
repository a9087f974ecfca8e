-- The earliest due outbox rows in claim order, read straight off an index: claim_due_reminders works on a window
-- of the first few times its batch (pending by next_attempt_at, id; leased by lease_expires_at, id), so a claim
-- costs the same at a backlog of a thousand due rows as at a hundred thousand. The id column breaks ties among rows
-- due at the same instant without sorting all of them. Built under new names first (reads go on meanwhile), then
-- the old ones dropped (a brief exclusive lock at the end) and the new ones given their names.

CREATE INDEX reminders_pending_due_id_idx ON scheduling.reminders (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX reminders_leased_id_idx ON scheduling.reminders (lease_expires_at, id) WHERE state = 'leased';

DROP INDEX scheduling.reminders_pending_due_idx;
DROP INDEX scheduling.reminders_leased_idx;
ALTER INDEX scheduling.reminders_pending_due_id_idx RENAME TO reminders_pending_due_idx;
ALTER INDEX scheduling.reminders_leased_id_idx RENAME TO reminders_leased_idx;
