-- Workshops: runs and days, enrollments driving current_attendees, every calculated_status
-- (upcoming, active, full, completed, cancelled), 0 = unlimited, the capacity CHECK behind the functions,
-- the waitlist and its promotion, order items, views, and refusals (nothing written).
BEGIN;
SELECT plan(41);

CREATE FUNCTION pg_temp.state(p_tag text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s %s/%s left %s', a.calculated_status, a.current_attendees, a.capacity, a.seats_left)
    FROM scheduling.session_availability AS a WHERE a.session_id = tap.sid(p_tag)
$$;
CREATE FUNCTION pg_temp.booking_of(p_session text, p_person text) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT b.id FROM scheduling.bookings AS b
    WHERE b.session_id = tap.sid(p_session) AND b.person_id = tap.sid(p_person) AND b.status = 'confirmed'
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hana Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)),
('bob', scheduling.create_person('Bob', '+4915112345680', 'Europe/Berlin', TRUE)),
('cid', scheduling.create_person('Cid', '+4915112345681', 'Europe/Berlin', TRUE)),
('dan', scheduling.create_person('Dan', '+4915112345682', 'Europe/Berlin', TRUE));
INSERT INTO tap.ids VALUES
('pottery', scheduling.create_workshop(tap.sid('host'), 'Pottery', 2, 'Europe/Berlin')),
('open', scheduling.create_workshop(tap.sid('host'), 'Open lecture', 0));
INSERT INTO tap.ids VALUES
('may', scheduling.create_workshop_run(tap.sid('pottery'), 'May 2031 Batch', '2031-05-01')),
('old', scheduling.create_workshop_run(tap.sid('pottery'), 'Old batch', '2020-01-06')),
('open_run', scheduling.create_workshop_run(tap.sid('open'), 'Open run', '2031-05-01'));
INSERT INTO tap.ids VALUES
('d1', scheduling.add_workshop_session(
    tap.sid('may'), 1, '2031-05-01 10:00 Europe/Berlin', '2031-05-01 16:00 Europe/Berlin',
    p_now => '2031-04-01 00:00Z'
)),
('d2', scheduling.add_workshop_session(
    tap.sid('may'), 2, '2031-05-02 10:00 Europe/Berlin', '2031-05-02 16:00 Europe/Berlin',
    p_now => '2031-04-01 00:00Z'
)),
('d3', scheduling.add_workshop_session(
    tap.sid('may'), 3, '2031-05-05 10:00 Europe/Berlin', '2031-05-05 16:00 Europe/Berlin',
    p_now => '2031-04-01 00:00Z'
)),
('past', scheduling.add_workshop_session(
    tap.sid('old'), 1, '2020-01-06 10:00 Europe/Berlin', '2020-01-06 16:00 Europe/Berlin',
    p_now => '2019-12-01 00:00Z'
)),
('lecture', scheduling.add_workshop_session(
    tap.sid('open_run'), 1, '2031-05-01 18:00 Europe/Berlin', '2031-05-01 20:00 Europe/Berlin',
    p_now => '2031-04-01 00:00Z'
));

-- Runs and days
SELECT results_eq(
    $$SELECT workshop_run_id, day_number, capacity, current_attendees, time_zone, title
    FROM scheduling.sessions WHERE id = tap.sid('d2')$$,
    $$VALUES (tap.sid('may'), 2, 2, 0, 'Europe/Berlin'::text, 'Pottery'::text)$$,
    'add_workshop_session: Day 2 of the run, the workshop''s capacity, zone and title, no attendees'
);
SELECT results_eq(
    $$SELECT start_date, end_date FROM scheduling.workshop_runs WHERE id = tap.sid('may')$$,
    $$VALUES ('2031-05-01'::date, '2031-05-05'::date)$$,
    'the run''s dates follow its days'
);

-- upcoming -> active -> full
SELECT is(pg_temp.state('d1'), 'upcoming 0/2 left 2', 'no enrollment: upcoming');
SELECT results_eq(
    $$SELECT outcome, day_number FROM scheduling.enroll(
        tap.sid('d1'), tap.sid('ann'), 'ORD-1', p_actor => 'x', p_now => '2031-04-02 00:00Z'
    )$$,
    $$VALUES ('confirmed'::text, 1)$$,
    'enroll: a confirmed seat'
);
SELECT is(pg_temp.state('d1'), 'active 1/2 left 1', 'one enrollment: active, current_attendees 1');
SELECT results_eq(
    $$SELECT order_reference, workshop_id, run_id, session_id, person_id, booking_id FROM scheduling.order_items$$,
    $$VALUES ('ORD-1'::text, tap.sid('pottery'), tap.sid('may'), tap.sid('d1'), tap.sid('ann'),
        pg_temp.booking_of('d1', 'ann'))$$,
    'the order item carries workshop, run, session, person and booking'
);
SELECT cmp_ok(
    (
        SELECT count(*) FROM scheduling.reminders
        WHERE booking_id = pg_temp.booking_of('d1', 'ann')
    )::integer,
    '>', 0, 'enroll goes through create_booking: reminders planned'
);
SELECT scheduling.enroll(tap.sid('d1'), tap.sid('bob'), p_actor => 'x', p_now => '2031-04-02 00:00Z');
SELECT is(pg_temp.state('d1'), 'full 2/2 left 0', 'capacity reached: full');

-- full: refused without the waitlist, nothing written
CREATE TEMP TABLE t_before AS SELECT tap.written() AS c;
SELECT throws_ok(
    $$SELECT scheduling.enroll(tap.sid('d1'), tap.sid('cid'), 'ORD-2', p_waitlist => FALSE,
        p_actor => 'x', p_now => '2031-04-02 00:00Z')$$,
    'SK012', NULL, 'enrolling into a full session without the waitlist: SK012'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'SK012: nothing written');
SELECT throws_ok(
    $$SELECT scheduling.create_booking(tap.sid('d1'), tap.sid('cid'), NULL, 'x', '2031-04-02 00:00Z')$$,
    'SK012', NULL, 'create_booking into the full session: SK012 too'
);
SELECT throws_ok(
    $$UPDATE scheduling.sessions SET current_attendees = 3 WHERE id = tap.sid('d1')$$,
    '23514', 'new row for relation "sessions" violates check constraint "sessions_capacity_not_exceeded"',
    'past the functions, the table itself refuses more attendees than seats'
);

-- the waitlist
SELECT results_eq(
    $$SELECT outcome, booking_id IS NULL FROM scheduling.enroll(
        tap.sid('d1'), tap.sid('cid'), 'ORD-3', p_actor => 'x', p_now => '2031-04-02 01:00Z'
    )$$,
    $$VALUES ('waitlisted'::text, TRUE)$$,
    'a full session puts the person on the waitlist'
);
SELECT scheduling.enroll(tap.sid('d1'), tap.sid('dan'), p_actor => 'x', p_now => '2031-04-02 02:00Z');
SELECT results_eq(
    $$SELECT full_name, enrollment_status, waitlist_position FROM scheduling.session_enrollments
    WHERE session_id = tap.sid('d1') ORDER BY enrollment_status, waitlist_position, full_name$$,
    $$VALUES ('Ann'::text, 'confirmed'::text, NULL::integer), ('Bob', 'confirmed', NULL),
        ('Cid', 'waitlisted', 1), ('Dan', 'waitlisted', 2)$$,
    'session_enrollments: attendees and the waitlist in order'
);
SELECT throws_ok(
    $$SELECT scheduling.enroll(tap.sid('d1'), tap.sid('cid'), p_actor => 'x', p_now => '2031-04-02 03:00Z')$$,
    'SK011', NULL, 'enrolling again while on the waitlist: SK011'
);
SELECT throws_ok(
    $$SELECT scheduling.enroll(tap.sid('d1'), tap.sid('ann'), p_actor => 'x', p_now => '2031-04-02 03:00Z')$$,
    'SK011', NULL, 'enrolling again while booked (session full): SK011'
);
SELECT is(
    (
        SELECT waitlisted FROM scheduling.session_availability
        WHERE session_id = tap.sid('d1')
    ), 2,
    'session_availability counts the people waiting'
);

-- a cancellation frees the seat: the first waiting person is booked and gets a WhatsApp message
SELECT scheduling.cancel_booking(pg_temp.booking_of('d1', 'ann'), 'ill', 'x', '2031-04-10 08:00Z');
SELECT is(pg_temp.state('d1'), 'full 2/2 left 0', 'the freed seat went to the waitlist: still full');
SELECT results_eq(
    $$SELECT b.status::text, b.order_reference, b.created_at, w.status, w.promoted_at
    FROM scheduling.waitlist_entries AS w INNER JOIN scheduling.bookings AS b ON w.booking_id = b.id
    WHERE w.person_id = tap.sid('cid')$$,
    $$VALUES ('confirmed'::text, 'ORD-3'::text, '2031-04-10 08:00Z'::timestamptz, 'promoted'::text,
        '2031-04-10 08:00Z'::timestamptz)$$,
    'the first waiting person is booked (order reference kept) and the entry marked promoted'
);
SELECT results_eq(
    $$SELECT template_name, state::text, due_at, kind::text FROM scheduling.reminders
    WHERE booking_id = pg_temp.booking_of('d1', 'cid') AND seq = 0$$,
    $$VALUES ('waitlist_promoted'::text, 'pending'::text, '2031-04-10 08:00Z'::timestamptz, 'waitlist'::text)$$,
    'a waitlist_promoted WhatsApp message is queued for them, due at once'
);
SELECT cmp_ok(
    (
        SELECT count(*) FROM scheduling.reminders
        WHERE booking_id = pg_temp.booking_of('d1', 'cid') AND seq > 0
    )::integer,
    '>', 0, 'and their reminders are planned'
);
SELECT is(
    (
        SELECT booking_id FROM scheduling.order_items
        WHERE order_reference = 'ORD-3'
    ),
    pg_temp.booking_of('d1', 'cid'),
    'the waitlisted order item gets the booking'
);
SELECT is(
    (
        SELECT string_agg(full_name, ',') FROM scheduling.session_enrollments
        WHERE session_id = tap.sid('d1') AND enrollment_status = 'waitlisted'
    ),
    'Dan', 'Dan is now first in line'
);
SELECT scheduling.cancel_booking(pg_temp.booking_of('d1', 'bob'), NULL, 'x', '2031-04-10 09:00Z');
SELECT scheduling.cancel_booking(pg_temp.booking_of('d1', 'cid'), NULL, 'x', '2031-04-10 09:00Z');
SELECT is(pg_temp.state('d1'), 'active 1/2 left 1', 'two cancellations, one promotion (Dan): active again');

-- cancelled and completed
SELECT scheduling.cancel_session(tap.sid('d2'), 'kiln broken', 'x', '2031-04-11 00:00Z');
SELECT is(pg_temp.state('d2'), 'cancelled 0/2 left 2', 'cancelled by hand: cancelled');
SELECT is(pg_temp.state('past'), 'completed 0/2 left 2', 'ended: completed');

-- 0 = unlimited
SELECT scheduling.enroll(tap.sid('lecture'), v.id, p_actor => 'x', p_now => '2031-04-02 00:00Z')
FROM (SELECT tap.sid(t) AS id FROM unnest(ARRAY['ann', 'bob', 'cid', 'dan']) AS t) AS v;
SELECT is(pg_temp.state('lecture'), 'active 4/0 left ', '0 = unlimited: never full, seats_left NULL');

-- views
SELECT results_eq(
    $$SELECT run_name, session_count, cancelled_sessions, total_seats, total_enrollments, distinct_attendees
    FROM scheduling.workshop_run_summary WHERE run_id = tap.sid('may')$$,
    $$VALUES ('May 2031 Batch'::text, 3, 1, 6, 1, 1)$$,
    'workshop_run_summary: sessions, cancelled ones, seats, enrollments, attendees'
);
SELECT is(
    (
        SELECT total_seats FROM scheduling.workshop_run_summary
        WHERE run_id = tap.sid('open_run')
    ), NULL,
    'workshop_run_summary: unlimited seats are NULL'
);
SELECT results_eq(
    $$SELECT title, available_sessions FROM scheduling.workshops_with_available_sessions
    WHERE workshop_id IN (tap.sid('pottery'), tap.sid('open')) ORDER BY title$$,
    $$VALUES ('Open lecture'::text, 1), ('Pottery', 2)$$,
    'workshops_with_available_sessions: active workshops with a session not full, cancelled or past'
);

-- refusals, nothing written
DELETE FROM t_before;
INSERT INTO t_before SELECT tap.written();
SELECT throws_ok(
    $$SELECT scheduling.create_workshop(tap.sid('host'), 'Bad', -1)$$,
    'SK009', NULL, 'a negative capacity: SK009'
);
SELECT throws_ok(
    $$SELECT scheduling.enroll(tap.sid('d2'), tap.sid('bob'), p_actor => 'x', p_now => '2031-04-12 00:00Z')$$,
    'SK003', NULL, 'enrolling into a cancelled session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.enroll(tap.sid('d1'), tap.sid('bob'), p_actor => 'x', p_now => '2031-05-01 10:00Z')$$,
    'SK008', NULL, 'enrolling into a session that has started: SK008'
);
SELECT throws_ok(
    $$SELECT scheduling.enroll(tap.sid('lecture'), tap.sid('ann'), p_actor => 'x',
        p_now => '2031-04-03 00:00Z')$$,
    'SK011', NULL, 'a second enrollment of the same person: SK011'
);
SELECT throws_ok(
    $$SELECT scheduling.enroll(gen_random_uuid(), tap.sid('ann'), p_actor => 'x', p_now => '2031-04-03 00:00Z')$$,
    'SK001', NULL, 'an unknown session: SK001'
);
SELECT throws_ok(
    $$SELECT scheduling.create_workshop_run(gen_random_uuid(), 'X', '2031-01-01')$$,
    'SK028', NULL, 'a run of an unknown workshop: SK028'
);
SELECT throws_ok(
    $$SELECT scheduling.add_workshop_session(tap.sid('may'), 2, '2031-06-01 10:00Z', '2031-06-01 11:00Z')$$,
    'SK033', NULL, 'a day number already taken: SK033'
);
SELECT throws_ok(
    $$SELECT scheduling.add_workshop_session(gen_random_uuid(), 1, '2031-06-01 10:00Z', '2031-06-01 11:00Z')$$,
    'SK029', NULL, 'an unknown run: SK029'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'the refusals wrote nothing');

-- a direct write of current_attendees is not how it moves; the trigger keeps it equal to confirmed bookings
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.sessions AS s
        WHERE s.current_attendees <> (
            SELECT count(*) FROM scheduling.bookings AS b
            WHERE b.session_id = s.id AND b.status = 'confirmed'
        )
    ),
    0, 'current_attendees equals the confirmed bookings of every session'
);

-- completed by the clock
SELECT scheduling.tick('2031-05-05 17:00Z');
SELECT is(pg_temp.state('d3'), 'completed 0/2 left 2', 'completed by tick: completed');

SELECT * FROM finish();
ROLLBACK;
