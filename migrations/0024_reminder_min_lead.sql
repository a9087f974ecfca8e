-- Late bookings: a reminder policy says how close to the start a reminder is still worth sending at once. Until
-- now a reminder time already past when the booking was made (booked at 09:30 for 10:00 with a one-hour reminder)
-- was planned as nothing at all, so nobody could tell a reminder never planned from one lost. min_lead is the
-- least time that must remain before the start for one reminder to go out at once instead; every past time is
-- written, as that reminder or skipped with the reason (scheduling_internal.plan_booking_reminders, in sql/).
--
-- A constant default only touches the catalogue; the CHECK reads the (small) policies table once. The old
-- create_reminder_policy signature is dropped here; sql/ creates the one taking p_min_lead right after.

ALTER TABLE scheduling.reminder_policies
ADD COLUMN min_lead interval NOT NULL DEFAULT interval '10 minutes',
ADD CONSTRAINT reminder_policies_min_lead_not_negative CHECK (min_lead >= interval '0');

COMMENT ON COLUMN scheduling.reminder_policies.min_lead IS
'Least time that must remain before the start for a reminder whose time is already past when it is planned '
'(a late booking, a reschedule onto a slot starting soon, a waitlist promotion) to be sent at once: then the '
'latest past time is due at once and the other past times are skipped with the reason; with less left every '
'past time is skipped with the reason. Zero sends at once whenever the start is still ahead. Not negative.';

COMMENT ON TABLE scheduling.reminder_policies IS
'When reminders are sent: at each of offsets before the start (for example the one-hour reminder) and/or every '
'repeat_every counted from the booking time (for example every two hours until the appointment), never at or '
'after the start. Times already past when planned: one reminder at once if at least min_lead remains before the '
'start, the other past times skipped with the reason. Optional quiet hours [quiet_start, quiet_end) in the '
'recipient''s time zone (may cross midnight): a reminder in them moves to their end if that is still before the '
'start, else is skipped. The policy named ''default'' applies to sessions whose reminder_policy_id is NULL. '
'Validated by trigger reminder_policies_validate (SK009, SK015, SK017, SK043).';

DROP FUNCTION IF EXISTS scheduling.create_reminder_policy(text, interval [], interval, time, time, text, text, text);
