-- started_at means a real start only: start_session, or tick at starts_at in automatic mode. A host_started session
-- nobody started goes in_progress with is_delayed at starts_at; when it did so is now delayed_since, and started_at
-- stays NULL until the host starts it (start_session accepts a delayed session that has not started yet).
--
-- Backfill: a delayed session whose started_at is its starts_at was put there by tick, not started by anybody (before
-- this migration start_session refused delayed sessions): delayed_since takes that time and started_at becomes NULL.
-- A delayed row with another started_at keeps it, with delayed_since = starts_at. The table's own triggers are off
-- meanwhile (sessions_validate refuses any change to a deleted row, set_updated_at would move updated_at); no history
-- row is written. Archived sessions get the same treatment.

ALTER TABLE scheduling.sessions ADD COLUMN delayed_since timestamptz;

ALTER TABLE scheduling.sessions_archive ADD COLUMN delayed_since timestamptz;

COMMENT ON COLUMN scheduling.sessions.delayed_since IS
'When a host_started session nobody had started went in_progress with is_delayed (its starts_at, the logical time '
'of that tick step); kept after a late start_session or a completion, as a record. NULL for a session never delayed.';

COMMENT ON COLUMN scheduling.sessions.started_at IS
'When the session really started: p_now of start_session, or starts_at when tick started it (automatic mode). NULL '
'for a delayed session the host has not started.';

-- A delayed session in progress or completed may never have been started.
ALTER TABLE scheduling.sessions DROP CONSTRAINT sessions_started_has_started_at;

ALTER TABLE scheduling.sessions DISABLE TRIGGER USER;

UPDATE scheduling.sessions
SET
    delayed_since = starts_at,
    started_at = CASE WHEN started_at = starts_at THEN NULL ELSE started_at END
WHERE is_delayed;

ALTER TABLE scheduling.sessions ENABLE TRIGGER USER;

UPDATE scheduling.sessions_archive
SET
    delayed_since = starts_at,
    started_at = CASE WHEN started_at = starts_at THEN NULL ELSE started_at END
WHERE is_delayed;

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_started_has_started_at CHECK (
    status NOT IN ('in_progress', 'completed') OR started_at IS NOT NULL OR is_delayed
);

ALTER TABLE scheduling.sessions ADD CONSTRAINT sessions_delayed_has_delayed_since CHECK (
    NOT is_delayed OR delayed_since IS NOT NULL
);

COMMENT ON TABLE scheduling.sessions IS
'One row per occurrence in time of a session, with its host, lifecycle status and capacity (0 = unlimited). '
'slot_version is incremented on every reschedule. started_at is set by a real start only (p_now of start_session, '
'or starts_at when tick starts an automatic session); delayed_since when a host_started session nobody started went '
'in_progress delayed at starts_at; completed_at is ends_at for tick, p_now for complete_session. Soft-deleted: '
'status deleted, with deleted_at, deleted_reason and deleted_from_status (the status it had). '
'Write through the scheduling functions; validated by trigger sessions_validate.';
