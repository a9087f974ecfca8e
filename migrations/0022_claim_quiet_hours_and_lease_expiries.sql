-- Two promises the claim (claim_due_reminders) keeps from now on.
--
-- Quiet hours hold at send time too: a due row whose recipient is inside the quiet hours of its session's policy
-- is not handed out but moved to their end (or expired when that end is not before its deadline). That needs no
-- new state; the claim in sql/ does it.
--
-- Poison rows: a row whose lease keeps expiring (claimed, never recorded: a message that crashes the worker) is
-- no longer claimed forever. Column reminders.lease_expiries counts the times the claim found the row leased with
-- an expired lease; at worker_settings.max_lease_expiries (default 3, set with
-- scheduling.set_max_lease_expiries) the row becomes failed instead of being claimed again, and
-- retry_failed_reminders re-queues it with the count reset. A column with a constant default only touches the
-- catalogue; existing rows start at 0.
--
-- archive_closed_sessions copies reminders by position (r.*, then archived_at): the archive gets the new column in
-- the same place, and archived_at is moved back to the end, as 0008 did.

ALTER TABLE scheduling.reminders ADD COLUMN lease_expiries integer NOT NULL DEFAULT 0;

ALTER TABLE scheduling.reminders ADD CONSTRAINT reminders_lease_expiries_not_negative CHECK (lease_expiries >= 0);

COMMENT ON COLUMN scheduling.reminders.lease_expiries IS
'How many times claim_due_reminders found this row leased with an expired lease (claimed, no outcome recorded '
'before the lease ran out), since it was planned or last re-queued by retry_failed_reminders. At '
'worker_settings.max_lease_expiries the claim makes the row failed instead of handing it out again.';

COMMENT ON COLUMN scheduling.reminders.uncertain IS
'This row may have reached the provider more than once: it was found with an expired lease (the worker that held '
'it may have sent it before dying) and claimed again, released for quiet hours or failed for too many expiries, '
'or a send timed out (mark_reminder_uncertain). Never cleared; counted by queue_stats.uncertain.';

ALTER TABLE scheduling.reminders_archive ADD COLUMN lease_expiries integer NOT NULL DEFAULT 0;

ALTER TABLE scheduling.reminders_archive RENAME COLUMN archived_at TO archived_at_before_0022;

ALTER TABLE scheduling.reminders_archive ADD COLUMN archived_at timestamptz;

UPDATE scheduling.reminders_archive SET archived_at = archived_at_before_0022;

ALTER TABLE scheduling.reminders_archive DROP COLUMN archived_at_before_0022;

ALTER TABLE scheduling.reminders_archive ALTER COLUMN archived_at SET NOT NULL;

COMMENT ON TABLE scheduling.reminder_policies IS
'When reminders are sent: at each of offsets before the start (for example the one-hour reminder) and/or every '
'repeat_every counted from the booking time (for example every two hours until the appointment), never at or '
'after the start. Optional quiet hours [quiet_start, quiet_end) in the recipient''s time zone (may cross '
'midnight): a reminder planned in them moves to their end if that is still before the start, else is skipped; '
'and at claim time any row of the session (a reminder or cancellation message, first attempt or retry) due while the '
'recipient is in them waits until they end, or expires when they end at or after its deadline. The policy named '
'''default'' applies to sessions whose reminder_policy_id is NULL. Validated by trigger reminder_policies_validate '
'(SK015, SK017).';

ALTER TABLE scheduling.worker_settings ADD COLUMN max_lease_expiries integer NOT NULL DEFAULT 3;

ALTER TABLE scheduling.worker_settings ADD CONSTRAINT worker_settings_max_lease_expiries_positive CHECK (
    max_lease_expiries >= 1
);

COMMENT ON TABLE scheduling.worker_settings IS
'One row of settings for the reminder worker. recipient_spacing: the least time between two claims of '
'messages to the same person (default 6 s, about what WhatsApp allows before error 131056; 0 = no spacing). '
'max_lease_expiries: how many times a row''s lease may expire without an outcome being recorded before the claim '
'makes it failed instead of handing it out again (default 3, at least 1; set with '
'scheduling.set_max_lease_expiries).';
