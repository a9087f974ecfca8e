-- Reminder replanning follows the sessions table itself instead of its history table. Until now an AFTER INSERT
-- trigger on session_status_history (session_status_history_replan) cancelled and replanned reminders, so the rule
-- "never remind anybody of a session that was cancelled, moved or deleted" was invisible from the functions that
-- change sessions, and a direct UPDATE of a session (no history row) escaped it. Trigger sessions_replan_reminders
-- (sql/triggers) now does it on every change of a session's status, slot or deletion, whoever writes the row.
--
-- The replanning needs the logical time of the change (p_now): the new column changed_at carries it. The scheduling
-- functions that change a session's lifecycle set it to their p_now; existing rows keep NULL (the trigger then uses
-- now()). Adding a nullable column without a default only touches the catalogue. The old trigger and its function
-- are dropped here (IF EXISTS: on a fresh database sql/ has not run yet); the new ones are created when sql/ is
-- re-applied right after this migration.

ALTER TABLE scheduling.sessions ADD COLUMN changed_at timestamptz;

ALTER TABLE scheduling.sessions_archive ADD COLUMN changed_at timestamptz;

COMMENT ON COLUMN scheduling.sessions.changed_at IS
'Logical time (p_now) of the latest change of the session''s status, slot or deletion, set by the scheduling '
'function that made it; trigger sessions_replan_reminders cancels and plans reminders as of this time. NULL when '
'no function changed the session yet (the trigger then uses now()). A direct UPDATE that changes status, '
'slot_version or deleted_at should set it too, else the replanning uses the previous change''s time.';

DROP TRIGGER IF EXISTS session_status_history_replan ON scheduling.session_status_history;

DROP FUNCTION IF EXISTS scheduling_internal.session_status_history_replan();

-- Every function comment ends with what the function changes besides its result; this one lives in a migration
-- (the generated column session_status_history.action depends on it).
COMMENT ON FUNCTION scheduling_internal.session_change_action(
    scheduling.session_status, scheduling.session_status, boolean, scheduling.status_change_reason, text
) IS
'Internal rule behind session_status_history.action (a generated column) and the action of each NOTIFY update: '
'skipped or failed for those reasons; created (no from status); deleted; delayed (to in_progress with is_delayed); '
'started (to in_progress otherwise, a late start of a delayed session included); completed; cancelled; no_show; '
'rescheduled (to scheduled, a reopened cancelled or no-show session included). No errors. Side effects: none.';
