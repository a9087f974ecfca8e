-- Workshops: clone_workshop_sessions across DST changes (Europe/Berlin), the default run name, the
-- latest run as source; book_next_available skipping full, cancelled, past and already booked sessions; a
-- whole-run enrollment; refusals with their SQLSTATE and nothing written.
BEGIN;
SELECT plan(24);

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hana Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)),
('bob', scheduling.create_person('Bob', '+4915112345680', 'Europe/Berlin', TRUE)),
('cid', scheduling.create_person('Cid', '+4915112345681', 'Europe/Berlin', TRUE));
INSERT INTO tap.ids VALUES
('camp', scheduling.create_workshop(tap.sid('host'), 'Bootcamp', 3, 'Europe/Berlin')),
('empty', scheduling.create_workshop(tap.sid('host'), 'Nothing yet', 3, 'Europe/Berlin')),
('next', scheduling.create_workshop(tap.sid('host'), 'Next', 1, 'Europe/Berlin'));
INSERT INTO tap.ids VALUES
('march', scheduling.create_workshop_run(tap.sid('camp'), 'March 2031', '2031-03-28')),
('next_run', scheduling.create_workshop_run(tap.sid('next'), 'Next run', '2031-05-01'));
-- Fri 28 and Sat 29 March in CET (+01), Mon 31 March in CEST (+02): DST starts Sunday 30 March 2031.
SELECT
    scheduling.add_workshop_session(
        tap.sid('march'), v.day, (v.d || ' 09:00 Europe/Berlin')::timestamptz,
        (v.d || ' 17:30 Europe/Berlin')::timestamptz, p_metadata => '{"room": "A"}', p_now => '2031-01-01 00:00Z'
    )
FROM (VALUES (1, '2031-03-28'), (2, '2031-03-29'), (3, '2031-03-31')) AS v (day, d);

-- clone across the autumn change: Fri 24, Sat 25 October in CEST, Mon 27 October in CET (DST ends Sunday 26).
CREATE TEMP TABLE t_oct AS
SELECT * FROM scheduling.clone_workshop_sessions(tap.sid('camp'), '2031-10-24', p_now => '2031-06-01 00:00Z');
SELECT results_eq(
    $$SELECT day_number, starts_at, ends_at FROM t_oct ORDER BY day_number$$,
    $$VALUES
        (1, '2031-10-24 07:00Z'::timestamptz, '2031-10-24 15:30Z'::timestamptz),
        (2, '2031-10-25 07:00Z'::timestamptz, '2031-10-25 15:30Z'::timestamptz),
        (3, '2031-10-27 08:00Z'::timestamptz, '2031-10-27 16:30Z'::timestamptz)$$,
    'clone across DST: same day offsets (0, 1, 3) and the same local 09:00-17:30, so the UTC instants move'
);
SELECT results_eq(
    $$SELECT to_char(s.starts_at AT TIME ZONE 'Europe/Berlin', 'Dy HH24:MI'), s.capacity, s.metadata ->> 'room'
    FROM scheduling.sessions AS s INNER JOIN t_oct AS o ON s.id = o.session_id ORDER BY s.day_number$$,
    $$VALUES ('Fri 09:00'::text, 3, 'A'::text), ('Sat 09:00', 3, 'A'), ('Mon 09:00', 3, 'A')$$,
    'the new sessions keep local times, capacity and metadata'
);
SELECT results_eq(
    $$SELECT run_name, start_date, end_date FROM scheduling.workshop_runs
    WHERE id = (SELECT DISTINCT run_id FROM t_oct)$$,
    $$VALUES ('October 2031 Batch'::text, '2031-10-24'::date, '2031-10-27'::date)$$,
    'default run name "October 2031 Batch"; the run spans its days'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.sessions
        WHERE workshop_run_id = tap.sid('march')
    ), 3,
    'the source run is kept'
);

-- clone again: the latest run (October, in CET/CEST) is the source; across the spring change back
CREATE TEMP TABLE t_spring AS
SELECT * FROM scheduling.clone_workshop_sessions(
    tap.sid('camp'), '2032-03-26', 'Spring 2032', '2031-11-01 00:00Z'
);
SELECT results_eq(
    $$SELECT day_number, starts_at FROM t_spring ORDER BY day_number$$,
    $$VALUES (1, '2032-03-26 08:00Z'::timestamptz), (2, '2032-03-27 08:00Z'::timestamptz),
        (3, '2032-03-29 07:00Z'::timestamptz)$$,
    'from the latest run across the spring change (DST starts Sunday 28 March 2032): 09:00 local each day'
);
SELECT is(
    (
        SELECT r.run_name FROM scheduling.workshop_runs AS r
        WHERE r.id = (SELECT DISTINCT t.run_id FROM t_spring AS t)
    ),
    'Spring 2032', 'an explicit run name is used'
);
SELECT results_eq(
    $$SELECT calculated_status, current_attendees FROM scheduling.session_availability
    WHERE session_id IN (SELECT session_id FROM t_spring)$$,
    $$VALUES ('upcoming'::text, 0), ('upcoming', 0), ('upcoming', 0)$$,
    'a clone starts empty'
);

-- clone refusals, nothing written
CREATE TEMP TABLE t_before AS SELECT tap.written() AS c;
SELECT throws_ok(
    $$SELECT * FROM scheduling.clone_workshop_sessions(tap.sid('camp'), '2031-10-01', NULL, '2031-11-01 00:00Z')$$,
    'SK031', NULL, 'cloning to a date in the past: SK031'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.clone_workshop_sessions(tap.sid('camp'), '2031-11-01', NULL, '2031-11-01 12:00Z')$$,
    'SK031', NULL, 'cloning to today when Day 1 would already have started: SK031'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.clone_workshop_sessions(gen_random_uuid(), '2032-10-01')$$,
    'SK028', NULL, 'cloning an unknown workshop: SK028'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.clone_workshop_sessions(tap.sid('empty'), '2032-10-01')$$,
    'SK030', NULL, 'cloning a workshop without sessions: SK030'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'the refused clones wrote nothing');

-- book_next_available: four days of one seat each, Day 2 cancelled
INSERT INTO tap.ids
SELECT
    'n' || v.day AS tag,
    scheduling.add_workshop_session(
        tap.sid('next_run'), v.day, ('2031-05-0' || v.day || ' 10:00Z')::timestamptz,
        ('2031-05-0' || v.day || ' 12:00Z')::timestamptz, p_now => '2031-04-01 00:00Z'
    ) AS id
FROM generate_series(1, 4) AS v (day);
SELECT scheduling.cancel_session(tap.sid('n2'), 'no room', 'x', '2031-04-01 00:00Z');

SELECT results_eq(
    $$SELECT session_id, day_number FROM scheduling.book_next_available(
        tap.sid('next'), tap.sid('ann'), p_actor => 'x', p_now => '2031-04-02 00:00Z'
    )$$,
    $$VALUES (tap.sid('n1'), 1)$$,
    'book_next_available: the earliest session'
);
SELECT results_eq(
    $$SELECT session_id FROM scheduling.book_next_available(
        tap.sid('next'), tap.sid('bob'), 'ORD-9', p_actor => 'x', p_now => '2031-04-02 00:00Z'
    )$$,
    $$VALUES (tap.sid('n3'))$$,
    'Day 1 full, Day 2 cancelled: Day 3'
);
SELECT results_eq(
    $$SELECT order_reference, workshop_id, run_id, session_id FROM scheduling.order_items$$,
    $$VALUES ('ORD-9'::text, tap.sid('next'), tap.sid('next_run'), tap.sid('n3'))$$,
    'its order item carries workshop, run and session'
);
SELECT results_eq(
    $$SELECT session_id FROM scheduling.book_next_available(
        tap.sid('next'), tap.sid('cid'), p_actor => 'x', p_now => '2031-05-03 11:00Z'
    )$$,
    $$VALUES (tap.sid('n4'))$$,
    'past sessions are skipped'
);
CREATE TEMP TABLE t_before2 AS SELECT tap.written() AS c;
SELECT throws_ok(
    $$SELECT * FROM scheduling.book_next_available(tap.sid('next'), tap.sid('ann'), NULL, 'x',
        '2031-04-02 00:00Z')$$,
    'SK032', NULL, 'none left (full, cancelled, already booked): SK032'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.book_next_available(gen_random_uuid(), tap.sid('ann'))$$,
    'SK028', NULL, 'an unknown workshop: SK028'
);
SELECT is(tap.written(), (SELECT c FROM t_before2), 'the refused bookings wrote nothing');
SELECT scheduling.cancel_booking(
    (
        SELECT id FROM scheduling.bookings
        WHERE session_id = tap.sid('n4')
    ), NULL, 'x', '2031-04-03 00:00Z'
);
SELECT results_eq(
    $$SELECT session_id FROM scheduling.book_next_available(
        tap.sid('next'), tap.sid('ann'), p_actor => 'x', p_now => '2031-04-03 00:00Z'
    )$$,
    $$VALUES (tap.sid('n4'))$$,
    'a cancellation frees the seat for the next caller (the person''s own booking is skipped)'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.book_next_available(tap.sid('next'), tap.sid('bob'), NULL, 'x',
        '2031-05-04 11:00Z')$$,
    'SK032', NULL, 'everything past: SK032'
);

-- a whole-run enrollment: every day of the run that is not cancelled, or nothing
SELECT results_eq(
    $$SELECT day_number, outcome FROM scheduling.enroll(
        (SELECT session_id FROM t_spring WHERE day_number = 2), tap.sid('ann'), 'ORD-W', TRUE,
        p_actor => 'x', p_now => '2031-12-01 00:00Z'
    ) ORDER BY day_number$$,
    $$VALUES (1, 'confirmed'::text), (2, 'confirmed'), (3, 'confirmed')$$,
    'p_whole_run: a seat in every day of the run'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.order_items
        WHERE order_reference = 'ORD-W'
    ), 3,
    'one order item per day'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.enroll(
        (SELECT session_id FROM t_spring WHERE day_number = 1), tap.sid('ann'), NULL, TRUE,
        p_actor => 'x', p_now => '2031-12-01 00:00Z'
    )$$,
    'SK011', NULL, 'the same whole run twice: SK011'
);

SELECT * FROM finish();
ROLLBACK;
