-- Soft-deleted sessions move to the status `deleted` (added by 0012), keeping the status they had in
-- deleted_from_status; a named CHECK ties the status to deleted_at.
--
-- The backfill rewrites only status and the new column, of the rows already deleted: the table's own triggers are off
-- meanwhile (sessions_validate refuses any change to a deleted row, set_updated_at would move updated_at), and no
-- history row is written (the history of an old deletion keeps saying what it said then). Archived sessions get the
-- same treatment.

ALTER TABLE scheduling.sessions ADD COLUMN deleted_from_status scheduling.session_status;

ALTER TABLE scheduling.sessions_archive ADD COLUMN deleted_from_status scheduling.session_status;

COMMENT ON COLUMN scheduling.sessions.deleted_from_status IS
'The status a deleted session had when it was deleted (NULL while it is not deleted).';

-- A deleted session may have been cancelled before: it keeps cancelled_at (and cancel_reason) as a record.
ALTER TABLE scheduling.sessions DROP CONSTRAINT sessions_cancelled_has_cancelled_at;

ALTER TABLE scheduling.sessions DISABLE TRIGGER USER;

UPDATE scheduling.sessions
SET
    deleted_from_status = status,
    status = 'deleted'
WHERE deleted_at IS NOT NULL;

ALTER TABLE scheduling.sessions ENABLE TRIGGER USER;

UPDATE scheduling.sessions_archive
SET
    deleted_from_status = status,
    status = 'deleted'
WHERE deleted_at IS NOT NULL;

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_cancelled_has_cancelled_at CHECK (
    status = 'deleted' OR (status = 'cancelled') = (cancelled_at IS NOT NULL)
);

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_deleted_has_deleted_at CHECK (
    (status = 'deleted') = (deleted_at IS NOT NULL)
);

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_deleted_has_deleted_from_status CHECK (
    (status = 'deleted') = (deleted_from_status IS NOT NULL) AND deleted_from_status IS DISTINCT FROM 'deleted'
);

-- archive_closed_sessions finds closed sessions by their end; deleted ones now say so in their status.
DROP INDEX scheduling.sessions_closed_ends_at_idx;

CREATE INDEX sessions_closed_ends_at_idx ON scheduling.sessions (ends_at)
WHERE status IN ('completed', 'cancelled', 'no_show', 'deleted');
