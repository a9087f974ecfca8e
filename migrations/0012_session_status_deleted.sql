-- A soft-deleted session gets a status of its own, `deleted`, so that `WHERE status = 'scheduled'` never counts a
-- deleted row. PostgreSQL refuses to use an enum value in the transaction that adds it, so this migration only adds
-- the value; 0013 moves the deleted rows to it and adds the constraints.

ALTER TYPE scheduling.session_status ADD VALUE 'deleted';

COMMENT ON TYPE scheduling.session_status IS
'Lifecycle status of a session: scheduled, in_progress, completed, cancelled, no_show, or deleted (soft-deleted: '
'deleted_at says when, deleted_from_status what it was). "delayed" is not a status but the flag sessions.is_delayed.';
