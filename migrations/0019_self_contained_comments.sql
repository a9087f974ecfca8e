-- Catalogue comments that described tables by pointing at the project's early working notes, which
-- are not part of it, now say what they mean in their own words, for a reader who has only the database.
-- Comments only: no lock beyond the catalogue, no data touched.

COMMENT ON COLUMN scheduling.sessions.visible_from IS
'When the session becomes visible to users: the start of its occurrence date in its own zone for sessions '
'generated from a template (activate_scheduled_sessions reveals them then); NULL for sessions created directly '
'(visible at once).';

COMMENT ON COLUMN scheduling.sessions.current_attendees IS
'Confirmed bookings of the session (seats taken), kept by trigger bookings_track_attendees; never written by apps.';

COMMENT ON TABLE scheduling.reminder_policies IS
'When reminders are sent: at each of offsets before the start (for example the one-hour reminder) and/or every '
'repeat_every counted from the booking time (for example every two hours until the appointment), never at or '
'after the start. Optional quiet hours [quiet_start, quiet_end) in the recipient''s time zone (may cross '
'midnight): a reminder in them moves to their end if that is still before the start, else is skipped. The policy '
'named ''default'' applies to sessions whose reminder_policy_id is NULL. Validated by trigger '
'reminder_policies_validate (SK015, SK017).';

COMMENT ON TABLE scheduling.order_items IS
'One line per session an order enrolled a person in (or waitlisted them for), carrying workshop, run and session. '
'Orders live elsewhere: order_reference. Written by enroll and book_next_available when they get an order '
'reference.';

COMMENT ON TABLE scheduling.recurring_session_logs IS
'The generation log of recurring templates: one row per session generated from a template, per future occurrence '
'removed or kept (booked or moved by hand) by an edit or pause, per date skipped or moved, and per template whose '
'generation failed in generate_all_recurring_sessions (detail holds the error). session_id has no foreign key: '
'the session may be archived. happened_at is p_now, recorded_at the wall clock.';

COMMENT ON TABLE scheduling.workshop_runs IS
'One run of a workshop (for example "July 2025 Batch"): its sessions are Day 1, Day 2 ... start_date and end_date '
'are the local dates (workshop zone) of its first and last session, kept by add_workshop_session and '
'clone_workshop_sessions. Derived state: view workshop_run_summary.';

COMMENT ON TABLE scheduling.workshops IS
'A workshop: sessions grouped into runs (a multi-day course repeated as batches). default_capacity is the seats '
'of each new session (0 = unlimited); time_zone is where its local times (and DST) are kept when a run is cloned; '
'reminder_policy_id applies to its sessions (NULL = ''default''). Write through create_workshop.';
