-- Reminder planning: reminders every two hours until the appointment, the one-hour reminder, quiet hours
-- (midnight, DST), replanning on reschedule and cancel with rows pending, leased and sent, cancellation
-- messages, idempotency.
BEGIN;
SELECT plan(35);

CREATE FUNCTION pg_temp.rows_of(p_tag text) RETURNS TABLE (reminder_key text, due_at timestamptz, state text)
LANGUAGE sql STABLE AS $$
    SELECT
        replace(r.reminder_key, tap.sid(p_tag)::text, 'B'), r.due_at, r.state::text
    FROM scheduling.reminders AS r
    WHERE r.booking_id = tap.sid(p_tag)
    ORDER BY r.kind, r.slot_version, r.seq
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345679', 'UTC', TRUE)),
('bea', scheduling.create_person('Bea', '+4915112345680', 'Europe/Berlin', TRUE)),
('cid', scheduling.create_person('Cid', '+4915112345681', 'Europe/Berlin', TRUE));

-- Every two hours: booking made at 00:00 for 10:00, every 2 hours -> 02:00, 04:00, 06:00, 08:00.
INSERT INTO tap.ids VALUES (
    'appt', scheduling.create_appointment(
        tap.sid('host'), tap.sid('ann'), 'Haircut', '2031-07-01 10:00Z', '2031-07-01 10:30Z',
        'every_2_hours', 'ann', '2031-07-01 00:00Z'
    )
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('appt')$$,
    $$VALUES
        ('B-reminder-1', '2031-07-01 02:00Z'::timestamptz, 'pending'),
        ('B-reminder-2', '2031-07-01 04:00Z', 'pending'),
        ('B-reminder-3', '2031-07-01 06:00Z', 'pending'),
        ('B-reminder-4', '2031-07-01 08:00Z', 'pending')$$,
    'every two hours: booked at 00:00 for 10:00 gives reminders at 02:00, 04:00, 06:00, 08:00 and none at 10:00'
);
SELECT results_eq(
    $$SELECT DISTINCT deadline_at, template_name, language, kind::text, attempts, next_attempt_at = due_at
    FROM scheduling.reminders WHERE booking_id = tap.sid('appt')$$,
    $$VALUES ('2031-07-01 10:00Z'::timestamptz, 'appointment_reminder'::text, 'en'::text, 'reminder'::text, 0, TRUE)$$,
    'each row keeps template, language, deadline = the start, no attempts, next attempt = due'
);
SELECT is(
    scheduling_internal.plan_booking_reminders(tap.sid('appt'), '2031-07-01 00:00Z'), 0,
    'planning the same booking again writes nothing'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminder_state_history AS h
        INNER JOIN scheduling.reminders AS r ON h.reminder_id = r.id
        WHERE r.booking_id = tap.sid('appt') AND h.from_state IS NULL
    ),
    4, 'every planned row has a history row (NULL -> pending)'
);

-- The one-hour reminder: the default policy.
INSERT INTO tap.ids VALUES (
    'class', scheduling.create_session(
        tap.sid('host'), 'Mentoring', '2031-05-01 10:00Z', '2031-05-01 11:00Z', p_capacity => 0,
        p_now => '2031-04-01 00:00Z'
    )
);
INSERT INTO tap.ids VALUES (
    'b_bea', scheduling.create_booking(tap.sid('class'), tap.sid('bea'), NULL, 'x', '2031-04-10 00:00Z')
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('b_bea')$$,
    $$VALUES ('B-reminder-1', '2031-05-01 09:00Z'::timestamptz, 'pending')$$,
    'the one-hour reminder: the default policy plans one reminder one hour before the start'
);
INSERT INTO tap.ids VALUES (
    'b_late', scheduling.create_booking(tap.sid('class'), tap.sid('cid'), NULL, 'x', '2031-05-01 09:30Z')
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('b_late')$$,
    $$VALUES ('B-reminder-1', '2031-05-01 09:30Z'::timestamptz, 'pending')$$,
    'a booking made after the reminder time (30 minutes before the start) gets its reminder at once '
    || '(more in 125_late_bookings.sql)'
);

-- Quiet hours 22:00-07:00 in the recipient's zone, across midnight.
INSERT INTO tap.ids VALUES (
    'p_quiet', scheduling.create_reminder_policy(
        'quiet nights', '{}', '2 hours', '22:00', '07:00', 'appointment_reminder'
    )
);
INSERT INTO tap.ids VALUES (
    'b_quiet', scheduling.create_appointment(
        tap.sid('host'), tap.sid('bea'), 'Shave', '2031-07-02 08:00Z', '2031-07-02 08:30Z',
        'quiet nights', 'x', '2031-07-01 16:00Z'
    )
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('b_quiet')$$,
    $$VALUES
        ('B-reminder-1', '2031-07-01 18:00Z'::timestamptz, 'pending'),
        ('B-reminder-2', '2031-07-02 05:00Z', 'pending'),
        ('B-reminder-3', '2031-07-02 05:00Z', 'skipped'),
        ('B-reminder-4', '2031-07-02 05:00Z', 'skipped'),
        ('B-reminder-5', '2031-07-02 05:00Z', 'skipped'),
        ('B-reminder-6', '2031-07-02 05:00Z', 'skipped'),
        ('B-reminder-7', '2031-07-02 06:00Z', 'pending')$$,
    'quiet hours across midnight (Berlin): 22:00..06:00 local move to 07:00 local, one row kept, the rest skipped'
);
SELECT is(
    (
        SELECT state_reason FROM scheduling.reminders
        WHERE booking_id = tap.sid('b_quiet') AND seq = 2
    ),
    'quiet hours 22:00-07:00 (Europe/Berlin): moved from Tuesday 1 July 2031, 22:00 (Europe/Berlin) to their end',
    'a moved row says where it came from'
);
SELECT ok(
    (
        SELECT bool_and(state_reason LIKE '%already is') FROM scheduling.reminders
        WHERE booking_id = tap.sid('b_quiet') AND state = 'skipped'
    ),
    'a row merged into another at the end of the quiet hours is skipped with that reason'
);

-- Quiet hours whose end is not before the start: skipped, with the reason.
INSERT INTO tap.ids VALUES (
    'p_morning', scheduling.create_reminder_policy('quiet mornings', '{1 hour}', NULL, '06:00', '09:30')
);
INSERT INTO tap.ids VALUES (
    'b_morning', scheduling.create_appointment(
        tap.sid('host'), tap.sid('bea'), 'Trim', '2031-07-03 07:00Z', '2031-07-03 07:30Z',
        'quiet mornings', 'x', '2031-07-01 00:00Z'
    )
);
SELECT results_eq(
    $$SELECT reminder_key LIKE '%-reminder-1', due_at, state::text,
        state_reason LIKE 'quiet hours%not before the start%'
    FROM scheduling.reminders WHERE booking_id = tap.sid('b_morning')$$,
    $$VALUES (TRUE, '2031-07-03 06:00Z'::timestamptz, 'skipped'::text, TRUE)$$,
    'a reminder in quiet hours that end after the start is written skipped with the reason'
);

-- Quiet hours across the DST change (Berlin, night of 29 to 30 March 2031: 02:00 CET -> 03:00 CEST).
INSERT INTO tap.ids VALUES (
    'p_dst', scheduling.create_reminder_policy('quiet dst', '{13 hours}', NULL, '22:00', '07:00')
);
INSERT INTO tap.ids VALUES (
    'b_dst', scheduling.create_appointment(
        tap.sid('host'), tap.sid('bea'), 'Colour', '2031-03-30 10:00Z', '2031-03-30 11:00Z',
        'quiet dst', 'x', '2031-03-01 00:00Z'
    )
);
SELECT results_eq(
    $$SELECT due_at, state::text FROM scheduling.reminders WHERE booking_id = tap.sid('b_dst')$$,
    $$VALUES ('2031-03-30 05:00Z'::timestamptz, 'pending'::text)$$,
    'DST: 22:00 CET moves to 07:00 CEST = 05:00 UTC (8 hours later, not 9)'
);
-- An end time inside a fall-back overlap (New York, 1 November 2026: 02:00 EDT -> 01:00 EST) is the first
-- 01:59 after the instant, not the one an hour later.
SELECT is(
    scheduling_internal.quiet_hours_end('2026-11-01 05:58:59Z', 'America/New_York', '00:00', '01:59'),
    '2026-11-01 05:59Z'::timestamptz,
    'quiet hours ending in a fall-back overlap, met in its first pass: they end at the first 01:59 (EDT)'
);
SELECT is(
    scheduling_internal.quiet_hours_end('2026-11-01 06:30Z', 'America/New_York', '00:00', '01:59'),
    '2026-11-01 06:59Z'::timestamptz,
    'met in the second pass (01:30 EST): they end at the second 01:59 (EST)'
);

-- Reschedule with rows sent, leased and pending (the every-two-hours booking).
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.claim_due_reminders('w1', 10, '60 seconds', '2031-07-01 02:00Z')
        WHERE reminder_key = tap.sid('appt') || '-reminder-1'
    ), 1,
    'setup: reminder-1 claimed at 02:00'
);
SELECT is(
    scheduling.record_reminder_sent(
        (
            SELECT id FROM scheduling.reminders
            WHERE reminder_key = tap.sid('appt') || '-reminder-1'
        ),
        (
            SELECT attempt_token FROM scheduling.reminders
            WHERE reminder_key = tap.sid('appt') || '-reminder-1'
        ),
        'wamid.1', '2031-07-01 02:00:05Z'
    )::text,
    'sent', 'setup: reminder-1 sent'
);
CREATE TEMP TABLE t_claim AS
SELECT
    c.reminder_id,
    c.attempt_token
FROM scheduling.claim_due_reminders('w1', 10, '10 minutes', '2031-07-01 04:00Z') AS c;
SELECT is((SELECT count(*)::integer FROM t_claim), 1, 'setup: reminder-2 claimed at 04:00 and held (leased)');

SELECT lives_ok(
    $$SELECT scheduling.reschedule_booking(tap.sid('appt'), '2031-07-01 14:00Z', '2031-07-01 14:30Z',
        'ann', '2031-07-01 04:05Z')$$,
    'reschedule_booking at 04:05 to 14:00'
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('appt')$$,
    $$VALUES
        ('B-reminder-1', '2031-07-01 02:00Z'::timestamptz, 'sent'),
        ('B-reminder-2', '2031-07-01 04:00Z', 'cancelled'),
        ('B-reminder-3', '2031-07-01 06:00Z', 'cancelled'),
        ('B-reminder-4', '2031-07-01 08:00Z', 'cancelled'),
        ('B-v2-reminder-1', '2031-07-01 02:00Z', 'skipped'),
        ('B-v2-reminder-2', '2031-07-01 04:05Z', 'pending'),
        ('B-v2-reminder-3', '2031-07-01 06:00Z', 'pending'),
        ('B-v2-reminder-4', '2031-07-01 08:00Z', 'pending'),
        ('B-v2-reminder-5', '2031-07-01 10:00Z', 'pending'),
        ('B-v2-reminder-6', '2031-07-01 12:00Z', 'pending')$$,
    'reschedule: sent row kept, leased and pending rows cancelled, new slot planned from the booking time: of its '
    || 'two past times the later is due at once, the other skipped'
);
SELECT is(
    (
        SELECT DISTINCT state_reason FROM scheduling.reminders
        WHERE booking_id = tap.sid('appt') AND state = 'cancelled'
    ),
    'session rescheduled (slot 2) to Tuesday 1 July 2031, 14:00 (UTC)',
    'the cancelled rows say why, with the new start in the recipient''s time zone'
);
SELECT is(
    (
        SELECT scheduling.record_reminder_sent(t.reminder_id, t.attempt_token, 'wamid.2', '2031-07-01 04:06Z')::text
        FROM t_claim AS t
    ),
    'cancelled',
    'the worker that held reminder-2 records its send: the row stays cancelled'
);
SELECT results_eq(
    $$SELECT r.provider_message_id, r.attempts FROM scheduling.reminders AS r
    INNER JOIN t_claim AS t ON r.id = t.reminder_id$$,
    $$VALUES ('wamid.2'::text, 1)$$,
    'and the send is recorded on it'
);

-- Cancel the booking: pending rows cancelled, the sent one kept, a cancellation message queued.
SELECT lives_ok(
    $$SELECT scheduling.cancel_booking(tap.sid('appt'), 'sick', 'ann', '2031-07-01 05:00Z')$$,
    'cancel_booking at 05:00'
);
SELECT results_eq(
    $$SELECT state::text, count(*)::integer FROM scheduling.reminders
    WHERE booking_id = tap.sid('appt') AND kind = 'reminder' GROUP BY state ORDER BY 1$$,
    $$VALUES ('cancelled'::text, 8), ('sent', 1), ('skipped', 1)$$,
    'after the cancel: the sent and skipped rows kept, every other reminder cancelled'
);
SELECT results_eq(
    $$SELECT replace(reminder_key, booking_id::text, 'B'), due_at, deadline_at, state::text, template_name
    FROM scheduling.reminders WHERE booking_id = tap.sid('appt') AND kind = 'cancellation'$$,
    $$VALUES ('B-cancellation-2'::text, '2031-07-01 05:00Z'::timestamptz, '2031-07-02 05:00Z'::timestamptz,
        'pending'::text, 'appointment_cancelled'::text)$$,
    'cancel_booking queues the cancellation message, due now, deadline a day later'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.claim_due_reminders('w1', 50, '60 seconds', '2031-07-01 09:00Z')
        WHERE kind = 'reminder'
    ),
    0, 'after the cancel, no reminder of the booking is ever claimable'
);

-- Session cancel, reschedule back, no-show, delete, with a group session.
INSERT INTO tap.ids VALUES (
    'b_cid', scheduling.create_booking(tap.sid('class'), tap.sid('ann'), NULL, 'x', '2031-04-10 00:00Z')
);
SELECT lives_ok(
    $$SELECT scheduling.cancel_session(tap.sid('class'), 'host ill', 'x', '2031-04-20 00:00Z')$$,
    'cancel_session of the group session'
);
SELECT results_eq(
    $$SELECT r.kind::text, r.state::text, count(*)::integer FROM scheduling.reminders AS r
    WHERE r.session_id = tap.sid('class') GROUP BY 1, 2 ORDER BY 1, 2$$,
    $$VALUES ('cancellation'::text, 'pending'::text, 3), ('reminder', 'cancelled', 1), ('reminder', 'expired', 2)$$,
    'session cancelled: the open reminder cancelled (the other two expired at the July claim), one cancellation '
    || 'message per '
    || 'confirmed booking'
);
SELECT lives_ok(
    $$SELECT scheduling.cancel_booking(tap.sid('b_bea'), 'too', 'bea', '2031-04-20 01:00Z')$$,
    'cancelling a booking of the cancelled session'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminders
        WHERE booking_id = tap.sid('b_bea') AND kind = 'cancellation'
    ),
    1, 'no second cancellation message for the same slot'
);
SELECT lives_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('class'), '2031-05-02 10:00Z', '2031-05-02 11:00Z',
        'x', '2031-04-21 00:00Z')$$,
    'the cancelled session is rescheduled'
);
SELECT results_eq(
    $$SELECT b.person_id, r.due_at, r.state::text FROM scheduling.reminders AS r
    INNER JOIN scheduling.bookings AS b ON r.booking_id = b.id
    WHERE r.session_id = tap.sid('class') AND r.slot_version = 2 AND r.kind = 'reminder' ORDER BY 1$$,
    $$SELECT b.person_id, '2031-05-02 09:00Z'::timestamptz, 'pending'::text FROM scheduling.bookings AS b
    WHERE b.session_id = tap.sid('class') AND b.status = 'confirmed' ORDER BY 1$$,
    'rescheduled: each confirmed booking (not the cancelled one) gets a reminder for the new slot'
);
SELECT lives_ok(
    $$SELECT scheduling.delete_session(tap.sid('class'), 'duplicate', 'x', '2031-04-22 00:00Z')$$,
    'the session is deleted'
);
SELECT results_eq(
    $$SELECT DISTINCT state::text, state_reason FROM scheduling.reminders
    WHERE session_id = tap.sid('class') AND slot_version = 2$$,
    $$VALUES ('cancelled'::text, 'session deleted: duplicate'::text)$$,
    'session deleted: its open reminders are cancelled with the reason (and no message is queued)'
);

-- The rule holds for direct writes too: trigger sessions_replan_reminders sits on the sessions table itself, so a
-- DBA's UPDATE that moves or cancels a session replans its reminders like reschedule_session and cancel_session.
INSERT INTO tap.ids VALUES (
    'direct', scheduling.create_appointment(
        tap.sid('host'), tap.sid('cid'), 'Beard trim', '2031-06-01 10:00Z', '2031-06-01 10:30Z',
        NULL, 'cid', '2031-05-01 00:00Z'
    )
);
UPDATE scheduling.sessions
SET
    starts_at = '2031-06-02 10:00Z',
    ends_at = '2031-06-02 10:30Z',
    slot_version = slot_version + 1,
    changed_at = '2031-05-02 00:00Z'
WHERE id = (
    SELECT b.session_id FROM scheduling.bookings AS b
    WHERE b.id = tap.sid('direct')
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('direct')$$,
    $$VALUES
        ('B-reminder-1', '2031-06-01 09:00Z'::timestamptz, 'cancelled'),
        ('B-v2-reminder-1', '2031-06-02 09:00Z', 'pending')$$,
    'a direct UPDATE that moves a session to a new slot cancels the old slot''s reminder and plans the new one'
);
UPDATE scheduling.sessions
SET
    status = 'cancelled',
    cancelled_at = '2031-05-03 00:00Z',
    cancel_reason = 'by hand',
    changed_at = '2031-05-03 00:00Z'
WHERE id = (
    SELECT b.session_id FROM scheduling.bookings AS b
    WHERE b.id = tap.sid('direct')
);
SELECT results_eq(
    $$SELECT kind::text, state::text, state_reason, updated_at FROM scheduling.reminders
    WHERE booking_id = tap.sid('direct') AND slot_version = 2 ORDER BY 1$$,
    $$VALUES
        ('cancellation'::text, 'pending'::text, 'session cancelled: by hand'::text, '2031-05-03 00:00Z'::timestamptz),
        ('reminder', 'cancelled', 'session cancelled: by hand', '2031-05-03 00:00Z')$$,
    'a direct UPDATE that cancels a session cancels its open reminders and queues the cancellation message, '
    || 'as of changed_at'
);

SELECT * FROM finish();
ROLLBACK;
