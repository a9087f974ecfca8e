-- Honest operator output. A message sent by a worker that had claimed a row which was cancelled, skipped or
-- expired while it held the lease reached the recipient although it should not have: record_reminder_sent now
-- flags such a row uncertain, so queue_stats.uncertain counts it. The column comment says so.
--
-- Reasons name times in the recipient's local time. cancel_open_reminders gains p_reason_at (the moment a reason
-- ends with, written per row in its recipient's time zone), so its old signature is dropped here (IF EXISTS: on a
-- fresh database sql/ has not run yet); sql/ creates the new one when it is re-applied right after this migration.

COMMENT ON COLUMN scheduling.reminders.uncertain IS
'This row may have reached the recipient more than once, or when it should not have: it was claimed again after '
'a lease expired (the worker that held it may have sent it before dying), a send timed out '
'(mark_reminder_uncertain), or it was sent by the worker that had claimed it after it was cancelled, skipped or '
'expired (record_reminder_sent; state_reason says by whom and when). Never cleared; counted by '
'queue_stats.uncertain.';

DROP FUNCTION IF EXISTS scheduling_internal.cancel_open_reminders(
    uuid, uuid, integer, scheduling.reminder_state, text, timestamptz
);
