-- Late bookings: reminder times already past when a booking is planned (booked shortly before the start, a
-- reschedule onto a slot starting soon) are never planned as nothing. With at least the policy's min_lead left
-- before the start, the latest past time is due at once and the others are skipped, replaced by it; with less,
-- every past time is skipped with the reason. Quiet hours apply to the reminder due at once; planning twice
-- writes nothing more; a negative or NULL min_lead is refused (SK043).
BEGIN;
SELECT plan(22);

CREATE FUNCTION pg_temp.rows_of(p_tag text) RETURNS TABLE (reminder_key text, due_at timestamptz, state text)
LANGUAGE sql STABLE AS $$
    SELECT replace(r.reminder_key, tap.sid(p_tag)::text, 'B'), r.due_at, r.state::text
    FROM scheduling.reminders AS r
    WHERE r.booking_id = tap.sid(p_tag) AND r.kind = 'reminder'
    ORDER BY r.slot_version, r.seq
$$;

CREATE FUNCTION pg_temp.reason_of(p_tag text, p_seq integer, p_slot integer DEFAULT 1) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT replace(r.state_reason, tap.sid(p_tag)::text, 'B')
    FROM scheduling.reminders AS r
    WHERE r.booking_id = tap.sid(p_tag) AND r.kind = 'reminder' AND r.seq = p_seq AND r.slot_version = p_slot
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('kim', scheduling.create_person('Kim', '+919812345678', 'Asia/Kolkata', TRUE)),
('bea', scheduling.create_person('Bea', '+4915112345680', 'Europe/Berlin', TRUE)),
('p_two', scheduling.create_reminder_policy('a day and an hour', '{1 day,1 hour}')),
('p_zero', scheduling.create_reminder_policy('no lead', '{1 hour}', p_min_lead => '0')),
('p_quiet', scheduling.create_reminder_policy('quiet nights', '{12 hours}', NULL, '22:00', '07:00'));

SELECT is(
    (
        SELECT min_lead FROM scheduling.reminder_policies
        WHERE name = 'default'
    ),
    interval '10 minutes',
    'policies get a min_lead of 10 minutes unless told otherwise (the default policy included)'
);

-- Booked 30 minutes before the start, the default policy's one-hour reminder already past: due at once.
SELECT tap.book('late', tap.sid('kim'), '2031-08-04 10:00Z', NULL, '2031-08-04 09:30Z');
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('late')$$,
    $$VALUES ('B-reminder-1', '2031-08-04 09:30Z'::timestamptz, 'pending')$$,
    'booked 30 minutes before the start with a one-hour reminder: the reminder is due at once, under its own key'
);
SELECT is(
    pg_temp.reason_of('late', 1),
    'due at once (booked at Monday 4 August 2031, 15:00 (Asia/Kolkata), after its time Monday 4 August 2031, '
    || '14:30 (Asia/Kolkata))',
    'the reminder due at once says why, in the recipient''s local time'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w1', 10, '60 seconds', '2031-08-04 09:30Z')),
    1, 'the worker can claim it at once'
);

-- A day and an hour before, both past: one due at once (the later time's key), the other skipped, replaced by it.
SELECT tap.book('two', tap.sid('kim'), '2031-08-05 10:00Z', 'a day and an hour', '2031-08-05 09:30Z');
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('two')$$,
    $$VALUES
        ('B-reminder-1', '2031-08-04 10:00Z'::timestamptz, 'skipped'),
        ('B-reminder-2', '2031-08-05 09:30Z', 'pending')$$,
    'two past times: the later one is due at once, the earlier one is written skipped'
);
SELECT is(
    pg_temp.reason_of('two', 1),
    'booked at Tuesday 5 August 2031, 15:00 (Asia/Kolkata), after its time Monday 4 August 2031, 15:30 '
    || '(Asia/Kolkata): replaced by B-reminder-2, sent at once',
    'the skipped one names the reminder that replaced it'
);

-- Planning twice: nothing more, at the same time or later.
SELECT is(
    scheduling_internal.plan_booking_reminders(tap.sid('two'), '2031-08-05 09:30Z'), 0,
    'planning the late booking again at the same time writes nothing'
);
SELECT is(
    scheduling_internal.plan_booking_reminders(tap.sid('two'), '2031-08-05 09:55Z'), 0,
    'nor later, when less than min_lead is left'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminders
        WHERE booking_id = tap.sid('two')
    ), 2,
    'still two rows'
);

-- Booked 5 minutes before the start, min_lead 10 minutes: skipped with the reason.
SELECT tap.book('close', tap.sid('kim'), '2031-08-06 10:00Z', NULL, '2031-08-06 09:55Z');
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('close')$$,
    $$VALUES ('B-reminder-1', '2031-08-06 09:00Z'::timestamptz, 'skipped')$$,
    'booked 5 minutes before the start with min_lead 10 minutes: the reminder is written skipped'
);
SELECT is(
    pg_temp.reason_of('close', 1),
    'booked at Wednesday 6 August 2031, 15:25 (Asia/Kolkata), 5 minutes before the start, less than the '
    || 'policy''s min_lead of 10 minutes: its time Wednesday 6 August 2031, 14:30 (Asia/Kolkata) had passed',
    'its reason gives the local booking time, the time left and min_lead'
);

-- min_lead 0: a reminder at once as long as the start is ahead.
SELECT tap.book('zero', tap.sid('kim'), '2031-08-07 10:00Z', 'no lead', '2031-08-07 09:59Z');
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('zero')$$,
    $$VALUES ('B-reminder-1', '2031-08-07 09:59Z'::timestamptz, 'pending')$$,
    'min_lead 0: booked a minute before the start, the reminder is due at once'
);

-- A reschedule onto a slot starting soon: due at once; onto one starting too soon: skipped.
SELECT tap.book('moved', tap.sid('bea'), '2031-08-20 10:00Z', NULL, '2031-08-01 00:00Z');
SELECT lives_ok(
    $$SELECT scheduling.reschedule_booking(tap.sid('moved'), '2031-08-10 12:20Z', '2031-08-10 12:50Z', 'bea',
        '2031-08-10 12:00Z')$$,
    'rescheduled at 14:00 Berlin onto 14:20 the same day'
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows_of('moved')$$,
    $$VALUES
        ('B-reminder-1', '2031-08-20 09:00Z'::timestamptz, 'cancelled'),
        ('B-v2-reminder-1', '2031-08-10 12:00Z', 'pending')$$,
    'the new slot''s reminder, already past, is due at once'
);
SELECT lives_ok(
    $$SELECT scheduling.reschedule_booking(tap.sid('moved'), '2031-08-10 12:05Z', '2031-08-10 12:35Z', 'bea',
        '2031-08-10 12:01Z')$$,
    'rescheduled again at 14:01 onto 14:05'
);
SELECT results_eq(
    $$SELECT state::text, state_reason FROM scheduling.reminders
    WHERE booking_id = tap.sid('moved') AND slot_version = 3$$,
    $$VALUES ('skipped'::text, 'rescheduled at Sunday 10 August 2031, 14:01 (Europe/Berlin), 4 minutes before the '
        || 'start, less than the policy''s min_lead of 10 minutes: its time Sunday 10 August 2031, 13:05 '
        || '(Europe/Berlin) had passed')$$,
    'onto a slot starting 4 minutes later: the reminder is skipped, the reason says rescheduled'
);

-- Quiet hours 22:00-07:00 Berlin at booking time: the reminder due at once moves to their end, or is skipped
-- when that end is not before the start.
SELECT tap.book('quiet', tap.sid('bea'), '2031-08-12 08:00Z', 'quiet nights', '2031-08-11 21:30Z');
SELECT results_eq(
    $$SELECT due_at, state::text, state_reason LIKE 'due at once (booked at Monday 11 August 2031, 23:30 '
        || '(Europe/Berlin), after its time %), then quiet hours 22:00-07:00 (Europe/Berlin): moved from %'
    FROM scheduling.reminders WHERE booking_id = tap.sid('quiet')$$,
    $$VALUES ('2031-08-12 05:00Z'::timestamptz, 'pending'::text, TRUE)$$,
    'booked at 23:30 in quiet hours for 10:00: the reminder due at once moves to 07:00 local'
);
SELECT tap.book('quiet_late', tap.sid('bea'), '2031-08-13 04:30Z', 'quiet nights', '2031-08-12 21:30Z');
SELECT results_eq(
    $$SELECT due_at, state::text, state_reason LIKE 'due at once (%), then quiet hours % not before the start %'
    FROM scheduling.reminders WHERE booking_id = tap.sid('quiet_late')$$,
    $$VALUES ('2031-08-12 21:30Z'::timestamptz, 'skipped'::text, TRUE)$$,
    'booked at 23:30 in quiet hours for 06:30: the quiet hours end after the start, so it is skipped'
);

-- A negative or NULL min_lead is refused, nothing written.
SELECT throws_ok(
    $$SELECT scheduling.create_reminder_policy('negative', '{1 hour}', p_min_lead => '-5 minutes')$$,
    'SK043', 'reminder policy ''negative'': min_lead -00:05:00 must be zero or more',
    'a negative min_lead: SK043'
);
SELECT throws_ok(
    $$SELECT scheduling.create_reminder_policy('nothing', '{1 hour}', p_min_lead => NULL)$$,
    'SK043', NULL,
    'a NULL min_lead: SK043'
);
SELECT throws_ok(
    $$UPDATE scheduling.reminder_policies SET min_lead = '-1 minute' WHERE name = 'default'$$,
    'SK043', NULL,
    'an UPDATE to a negative min_lead: SK043'
);
SELECT results_eq(
    $$SELECT count(*)::integer, min(min_lead) FROM scheduling.reminder_policies
    WHERE name IN ('negative', 'nothing', 'default')$$,
    $$VALUES (1, interval '10 minutes')$$,
    'nothing written: no new policy, the default one unchanged'
);

SELECT * FROM finish();
ROLLBACK;
