-- The earliest due outbox rows in claim order, read straight off an index: claim_due_reminders works on a window
-- of the first few times its batch (pending by next_attempt_at, id; leased by lease_expires_at, id), so a claim
-- costs the same at a backlog of a thousand due rows as at a hundred thousand. The id column breaks ties among rows
-- due at the same instant without sorting all of them.

DROP INDEX scheduling.reminders_pending_due_idx;
CREATE INDEX reminders_pending_due_idx ON scheduling.reminders (next_attempt_at, id) WHERE state = 'pending';

DROP INDEX scheduling.reminders_leased_idx;
CREATE INDEX reminders_leased_idx ON scheduling.reminders (lease_expires_at, id) WHERE state = 'leased';
