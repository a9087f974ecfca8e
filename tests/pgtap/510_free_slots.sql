-- Free slots, appointments inside working time, booking the next free slot, and the host's agenda. The host works
-- Mondays 09:00-12:00 in Europe/Berlin (2026-03-02, -09, -16 and -23 are Mondays, CET +01:00); the caller's
-- TimeZone is Pacific/Chatham throughout.
BEGIN;
SELECT plan(47);

SELECT set_config('sessionkeeper.simulated_time', 'on', TRUE);
SELECT set_config('TimeZone', 'Pacific/Chatham', TRUE);

INSERT INTO tap.ids VALUES
('fh', scheduling.create_person('Free Host', NULL, 'Europe/Berlin')),
('bh', scheduling.create_person('Booked Host', NULL, 'Europe/Berlin')),
('nh', scheduling.create_person('No Hours Host', NULL, 'Europe/Berlin')),
('client', scheduling.create_person('Client', NULL, 'Europe/Berlin'));
SELECT scheduling.set_working_hours(tap.sid('fh'), '{"mon": ["09:00-12:00"]}', 'test', '2026-03-01 00:00Z');
SELECT scheduling.set_working_hours(tap.sid('bh'), '{"mon": ["09:00-12:00"]}', 'test', '2026-03-01 00:00Z');

-- The local start times of the free slots of a host on one Berlin date, as one text.
CREATE FUNCTION pg_temp.slots(
    p_tag text, p_day date, p_duration interval, p_step interval DEFAULT NULL,
    p_now timestamptz DEFAULT '2026-03-01 00:00Z'
) RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce(string_agg(to_char(f.local_starts_at, 'HH24:MI'), ' ' ORDER BY f.starts_at), '')
    FROM scheduling.free_slots(
        tap.sid(p_tag), (p_day + time '00:00') AT TIME ZONE 'Europe/Berlin',
        (p_day + 1 + time '00:00') AT TIME ZONE 'Europe/Berlin', p_duration, p_step, p_now
    ) AS f
$$;

-- The grid.
SELECT is(pg_temp.slots('fh', '2026-03-02', '1 hour'), '09:00 10:00 11:00', 'one-hour slots, step = duration');
SELECT is(
    pg_temp.slots('fh', '2026-03-02', '1 hour', '30 minutes'), '09:00 09:30 10:00 10:30 11:00',
    'one-hour slots every 30 minutes, each wholly inside working time'
);
SELECT is(pg_temp.slots('fh', '2026-03-03', '1 hour'), '', 'no slots on a day without working hours');
SELECT is(
    (
        SELECT array_agg(f.starts_at || ' ' || f.local_ends_at || ' ' || f.time_zone)
        FROM scheduling.free_slots(
            tap.sid('fh'), '2026-03-02 10:00+01', '2026-03-02 11:30+01', '1 hour', NULL, '2026-03-01 00:00Z'
        ) AS f
    ),
    ARRAY['2026-03-02 22:45:00+13:45 2026-03-02 11:00:00 Europe/Berlin'],
    'only slots lying wholly within [p_from, p_to); instants and local times'
);

-- Sessions: a slot ending exactly when a session starts is free; one overlapping it by a second is not.
SELECT scheduling.create_appointment(
    tap.sid('fh'), tap.sid('client'), 'Cut', '2026-03-02 10:00+01', '2026-03-02 11:00+01', NULL, 'test',
    '2026-03-01 00:00Z'
);
SELECT is(
    pg_temp.slots('fh', '2026-03-02', '1 hour', '30 minutes'), '09:00 11:00',
    'a session 10:00-11:00: 09:00-10:00 and 11:00-12:00 are free, 09:30 and 10:30 overlap it'
);
INSERT INTO tap.ids VALUES (
    'tight', scheduling.create_session(
        tap.sid('fh'), 'Tight', '2026-03-09 09:59:59+01', '2026-03-09 10:30+01', p_actor => 'test',
        p_now => '2026-03-01 00:00Z'
    )
);
SELECT is(
    pg_temp.slots('fh', '2026-03-09', '1 hour', '30 minutes'), '10:30 11:00',
    'a session from 09:59:59: the 09:00 slot overlaps it by one second and is gone'
);
SELECT scheduling.cancel_session(tap.sid('tight'), 'moved', 'test', '2026-03-01 00:00Z');
SELECT is(
    pg_temp.slots('fh', '2026-03-09', '1 hour', '30 minutes'), '09:00 09:30 10:00 10:30 11:00',
    'a cancelled session frees its time'
);
SELECT is(
    pg_temp.slots('fh', '2026-03-16', '1 hour', '30 minutes', '2026-03-16 09:10+01'), '09:30 10:00 10:30 11:00',
    'no slot starts before p_now'
);
SELECT is(pg_temp.slots('nh', '2026-03-02', '1 hour'), '', 'a host with no working hours has no free slots');

-- The busy sessions are read through the exclusion constraint's index.
CREATE FUNCTION pg_temp.plan(p_query text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_line text;
    v_plan text := '';
BEGIN
    FOR v_line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || p_query LOOP
        v_plan := v_plan || v_line || ' ';
    END LOOP;
    RETURN v_plan;
END;
$$;
SELECT set_config('enable_seqscan', 'off', TRUE);
SELECT ok(
    (
        SELECT pg_temp.plan(format(
            $q$SELECT range_agg(tstzrange(s.starts_at, s.ends_at, '[)')) FROM scheduling.sessions AS s
            WHERE s.host_id = %L AND tstzrange(s.starts_at, s.ends_at, '[)') && tstzrange(%L, %L, '[)')
            AND s.status IN ('scheduled', 'in_progress', 'completed')$q$,
            tap.sid('fh'), '2026-03-02 00:00Z', '2026-03-09 00:00Z'
        ))
    ) LIKE '%sessions_host_time_never_overlaps%',
    'the query of free_slots over a host''s sessions uses the index of sessions_host_time_never_overlaps'
);
SELECT set_config('enable_seqscan', 'on', TRUE);

-- Bad input.
CREATE TEMP TABLE t_before AS SELECT tap.written() AS c;
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(
        tap.sid('fh'), '2026-03-02 00:00Z', '2026-03-03 00:00Z', '0 minutes'
    )$$,
    'SK062', NULL, 'duration zero: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(
        tap.sid('fh'), '2026-03-02 00:00Z', '2026-03-03 00:00Z', '-1 hour'
    )$$,
    'SK062', NULL, 'duration negative: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(
        tap.sid('fh'), '2026-03-02 00:00Z', '2026-03-03 00:00Z', '25 hours'
    )$$,
    'SK062', NULL, 'duration over one day: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(
        tap.sid('fh'), '2026-03-02 00:00Z', '2026-03-03 00:00Z', NULL
    )$$,
    'SK062', NULL, 'duration NULL: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(
        tap.sid('fh'), '2026-03-02 00:00Z', '2026-03-03 00:00Z', '1 hour', '0 minutes'
    )$$,
    'SK062', NULL, 'step zero: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(
        tap.sid('fh'), '2026-03-02 00:00Z', '2026-03-03 00:00Z', '1 hour', '-5 minutes'
    )$$,
    'SK062', NULL, 'step negative: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(
        tap.sid('fh'), '2026-03-02 00:00Z', '2026-03-03 00:00Z', '1 hour', '30 seconds'
    )$$,
    'SK062', NULL, 'step under one minute: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(tap.sid('fh'), '2026-03-03 00:00Z', '2026-03-02 00:00Z', '1 hour')$$,
    'SK062', NULL, 'p_to before p_from: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(tap.sid('fh'), '2026-03-02 00:00Z', '2026-03-02 00:00Z', '1 hour')$$,
    'SK062', NULL, 'p_to equal to p_from: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(tap.sid('fh'), '2026-03-02 00:00Z', '2027-03-04 00:00Z', '1 hour')$$,
    'SK062', NULL, 'a window over 366 days: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(tap.sid('fh'), NULL, '2026-03-02 00:00Z', '1 hour')$$,
    'SK062', NULL, 'p_from NULL: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(
        '00000000-0000-4000-8000-000000000000', '2026-03-02 00:00Z', '2026-03-03 00:00Z', '1 hour'
    )$$,
    'SK007', NULL, 'an unknown host: SK007'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.free_slots(
        tap.sid('fh'), '2026-03-02 00:00Z', '2026-03-03 00:00Z', '1 hour', NULL, NULL
    )$$,
    'SK009', NULL, 'p_now NULL: SK009'
);

-- create_appointment and working time.
SELECT throws_ok(
    $$SELECT scheduling.create_appointment(
        tap.sid('fh'), tap.sid('client'), 'Cut', '2026-03-02 11:30+01', '2026-03-02 12:30+01', NULL, 'test',
        '2026-03-01 00:00Z'
    )$$,
    'SK063',
    format(
        'Monday 2 March 2026, 11:30 (Europe/Berlin) to Monday 2 March 2026, 12:30 (Europe/Berlin) is outside the '
        'working time of host %s', tap.sid('fh')
    ),
    'an appointment running past the end of working time: SK063 naming the local times'
);
SELECT throws_ok(
    $$SELECT scheduling.create_appointment(
        tap.sid('fh'), tap.sid('client'), 'Cut', '2026-03-03 10:00+01', '2026-03-03 11:00+01', NULL, 'test',
        '2026-03-01 00:00Z'
    )$$,
    'SK063', NULL, 'an appointment on a day without working hours: SK063'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'the refused calls wrote nothing');
SELECT lives_ok(
    $$SELECT scheduling.create_appointment(
        tap.sid('fh'), tap.sid('client'), 'Cut', '2026-03-02 11:30+01', '2026-03-02 12:30+01', NULL, 'test',
        '2026-03-01 00:00Z', TRUE
    )$$,
    'p_outside_working_hours => true books it anyway (the host''s own use)'
);
SELECT lives_ok(
    $$SELECT scheduling.create_appointment(
        tap.sid('nh'), tap.sid('client'), 'Cut', '2026-03-03 03:00+01', '2026-03-03 04:00+01', NULL, 'test',
        '2026-03-01 00:00Z'
    )$$,
    'a host without working hours is not checked'
);
SELECT lives_ok(
    $$SELECT scheduling.create_appointment(
        tap.sid('fh'), tap.sid('client'), 'Cut', '2026-03-23 09:00+01', '2026-03-23 12:00+01', NULL, 'test',
        '2026-03-01 00:00Z'
    )$$,
    'an appointment filling the working time exactly is inside it'
);

-- book_next_available_slot.
CREATE TEMP TABLE t_booked AS
SELECT b.* FROM scheduling.book_next_available_slot(
    tap.sid('bh'), tap.sid('client'), '1 hour', '2026-03-02 08:00+01', p_actor => 'test', p_now => '2026-03-01 00:00Z'
) AS b;
SELECT is(
    (SELECT t.starts_at FROM t_booked AS t), '2026-03-02 09:00+01'::timestamptz,
    'book_next_available_slot books the first free slot at or after p_after'
);
SELECT is(
    (
        SELECT s.host_id || ' ' || s.title || ' ' || b.person_id || ' ' || b.status
        FROM t_booked AS t
        INNER JOIN scheduling.bookings AS b ON t.booking_id = b.id
        INNER JOIN scheduling.sessions AS s ON t.session_id = s.id AND b.session_id = s.id
    ),
    tap.sid('bh') || ' Appointment ' || tap.sid('client') || ' confirmed',
    'as an appointment of the host with the person booked, through create_appointment'
);
INSERT INTO t_booked
SELECT b.* FROM scheduling.book_next_available_slot(
    tap.sid('bh'), tap.sid('client'), '1 hour', '2026-03-02 08:00+01', p_actor => 'test', p_now => '2026-03-01 00:00Z'
) AS b;
INSERT INTO t_booked
SELECT b.* FROM scheduling.book_next_available_slot(
    tap.sid('bh'), tap.sid('client'), '1 hour', '2026-03-02 08:00+01', p_actor => 'test', p_now => '2026-03-01 00:00Z'
) AS b;
INSERT INTO t_booked
SELECT b.* FROM scheduling.book_next_available_slot(
    tap.sid('bh'), tap.sid('client'), '1 hour', '2026-03-02 08:00+01', p_actor => 'test', p_now => '2026-03-01 00:00Z'
) AS b;
SELECT is(
    (SELECT array_agg(t.starts_at ORDER BY t.starts_at) FROM t_booked AS t),
    ARRAY[
        '2026-03-02 09:00+01', '2026-03-02 10:00+01', '2026-03-02 11:00+01', '2026-03-09 09:00+01'
    ]::timestamptz [],
    'each call takes the next free slot, the following week once Monday is full'
);
SELECT is(
    (
        SELECT b.starts_at FROM scheduling.book_next_available_slot(
            tap.sid('bh'), tap.sid('client'), '30 minutes', '2026-03-09 10:10+01', '15 minutes', 'Short', NULL,
            '1 day', 'test', '2026-03-01 00:00Z'
        ) AS b
    ),
    '2026-03-09 10:15+01'::timestamptz,
    'p_after inside a stretch: the first grid point after it (step 15 minutes)'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.book_next_available_slot(
        tap.sid('bh'), tap.sid('client'), '1 hour', '2026-03-02 08:00+01', p_within => '1 day', p_actor => 'test',
        p_now => '2026-03-01 00:00Z'
    )$$,
    'SK064', NULL, 'no free slot within the horizon: SK064'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.book_next_available_slot(
        tap.sid('nh'), tap.sid('client'), '1 hour', p_actor => 'test', p_now => '2026-03-01 00:00Z'
    )$$,
    'SK064', NULL, 'a host without working hours has no free slot: SK064'
);
SELECT is(
    (
        SELECT b.starts_at FROM scheduling.book_next_available_slot(
            tap.sid('bh'), tap.sid('client'), '1 hour', '2026-03-01 00:00Z', p_actor => 'test',
            p_now => '2026-03-16 10:20+01'
        ) AS b
    ),
    '2026-03-16 11:00+01'::timestamptz,
    'never before p_now: p_after in the past searches from p_now (10:20: the next grid point is 11:00)'
);
UPDATE t_before SET c = tap.written();
SELECT throws_ok(
    $$SELECT * FROM scheduling.book_next_available_slot(tap.sid('bh'), tap.sid('client'), '0 minutes')$$,
    'SK062', NULL, 'book_next_available_slot: duration zero: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.book_next_available_slot(
        tap.sid('bh'), tap.sid('client'), '1 hour', p_within => '400 days'
    )$$,
    'SK062', NULL, 'book_next_available_slot: a horizon over 366 days: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.book_next_available_slot(
        tap.sid('bh'), tap.sid('client'), '1 hour', p_within => '0 days'
    )$$,
    'SK062', NULL, 'book_next_available_slot: a horizon of zero: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.book_next_available_slot(
        '00000000-0000-4000-8000-000000000000', tap.sid('client'), '1 hour'
    )$$,
    'SK007', NULL, 'book_next_available_slot: an unknown host: SK007'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.book_next_available_slot(
        tap.sid('bh'), '00000000-0000-4000-8000-000000000000', '1 hour', p_actor => 'test',
        p_now => '2026-03-01 00:00Z'
    )$$,
    'SK007', NULL, 'book_next_available_slot: an unknown person: SK007'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'the refused bookings wrote nothing');

-- The agenda (Free Host on 2026-03-02: the 10:00 appointment, the 11:30 one booked anyway).
SELECT is(
    (
        SELECT
            string_agg(
                a.kind || ' ' || to_char(a.local_starts_at, 'HH24:MI') || '-' || to_char(a.local_ends_at, 'HH24:MI')
                || coalesce(' ' || a.title || ' ' || a.status || ' ' || a.seats_left, ''),
                ', ' ORDER BY a.starts_at
            )
        FROM scheduling.host_agenda(tap.sid('fh'), '2026-03-02 00:00+01', '2026-03-03 00:00+01') AS a
    ),
    'free 09:00-10:00, session 10:00-11:00 Cut scheduled 0, free 11:00-11:30, session 11:30-12:30 Cut scheduled 0',
    'host_agenda: sessions and free stretches of working time in time order, with local times and seats left'
);
SELECT is(
    (
        SELECT count(*)::integer
        FROM scheduling.host_agenda(tap.sid('nh'), '2026-03-02 00:00+01', '2026-03-03 00:00+01') AS a
        WHERE a.kind = 'free'
    ),
    0,
    'a host without working hours has no free stretches'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.host_agenda(tap.sid('fh'), '2026-03-03 00:00Z', '2026-03-02 00:00Z')$$,
    'SK062', NULL, 'host_agenda with p_to before p_from: SK062'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.host_agenda(
        '00000000-0000-4000-8000-000000000000', '2026-03-02 00:00Z', '2026-03-03 00:00Z'
    )$$,
    'SK007', NULL, 'host_agenda of an unknown host: SK007'
);
SELECT lives_ok(
    $$SELECT count(*) FROM scheduling.host_agenda_next_7_days$$, 'host_agenda_next_7_days can be read'
);

SELECT * FROM finish();
ROLLBACK;
