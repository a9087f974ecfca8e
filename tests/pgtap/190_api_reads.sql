-- The reads of the HTTP API: booking_details (the booking, its session's availability, its reminders),
-- sessions_between (overlap, order, bounds) and workshop_availability (runs and their coming sessions).
BEGIN;
SELECT plan(27);
SET LOCAL timezone = 'UTC';

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE));

-- ---- booking_details ---------------------------------------------------------------------------------------
SELECT tap.book('appt', tap.sid('ann'), '2031-05-10 10:00Z', NULL, '2031-05-01 00:00Z');
CREATE TEMP TABLE t_details AS SELECT scheduling.booking_details(tap.sid('appt')) AS d;

SELECT is(
    (SELECT array_agg(k.k ORDER BY k.k) FROM t_details AS t, jsonb_object_keys(t.d) AS k (k)),
    ARRAY['booking', 'reminders', 'session'], 'booking_details: booking, session and reminders'
);
SELECT is(
    (SELECT t.d -> 'booking' FROM t_details AS t),
    (
        SELECT
            jsonb_build_object(
                'id', b.id, 'session_id', b.session_id, 'person_id', b.person_id, 'status', b.status,
                'order_reference', b.order_reference, 'booked_slot_version', b.booked_slot_version,
                'created_at', b.created_at, 'cancelled_at', b.cancelled_at, 'cancel_reason', b.cancel_reason,
                'updated_at', b.updated_at
            )
        FROM scheduling.bookings AS b
        WHERE b.id = tap.sid('appt')
    ),
    'the booking''s own columns'
);
SELECT is(
    (SELECT t.d -> 'session' FROM t_details AS t),
    (
        SELECT to_jsonb(a.*) FROM scheduling.session_availability AS a
        INNER JOIN scheduling.bookings AS b ON a.session_id = b.session_id
        WHERE b.id = tap.sid('appt')
    ),
    'the session is its session_availability row'
);
SELECT cmp_ok(
    (SELECT jsonb_array_length(t.d -> 'reminders') FROM t_details AS t), '>=', 1,
    'the appointment has reminders'
);
SELECT is(
    (SELECT t.d -> 'reminders' FROM t_details AS t),
    (
        SELECT
            jsonb_agg(
                jsonb_build_object(
                    'reminder_key', r.reminder_key, 'kind', r.kind, 'state', r.state, 'due_at', r.due_at,
                    'next_attempt_at', r.next_attempt_at, 'attempts', r.attempts, 'last_error', r.last_error,
                    'delivery_status', r.delivery_status, 'sent_at', r.sent_at, 'delivered_at', r.delivered_at,
                    'read_at', r.read_at, 'state_reason', r.state_reason, 'uncertain', r.uncertain
                ) ORDER BY r.due_at, r.reminder_key
            )
        FROM scheduling.reminder_status AS r
        WHERE r.booking_id = tap.sid('appt')
    ),
    'one object per reminder from reminder_status, by due_at and key'
);
SELECT is(
    (
        SELECT array_agg(k.k ORDER BY k.k)
        FROM t_details AS t, jsonb_object_keys(t.d -> 'reminders' -> 0) AS k (k)
    ),
    ARRAY[
        'attempts', 'delivered_at', 'delivery_status', 'due_at', 'kind', 'last_error', 'next_attempt_at', 'read_at',
        'reminder_key', 'sent_at', 'state', 'state_reason', 'uncertain'
    ],
    'a reminder''s keys'
);
INSERT INTO tap.ids VALUES ('group', scheduling.create_session(
    tap.sid('host'), 'Group', '2031-05-20 10:00Z', '2031-05-20 11:00Z', p_capacity => 5, p_now => '2031-05-01 00:00Z'
));
INSERT INTO tap.ids VALUES (
    'seat', scheduling.create_booking(tap.sid('group'), tap.sid('ann'), p_now => '2031-05-01 00:00Z')
);
-- No reminders for it: their history, then themselves (as if its policy planned none).
DELETE FROM scheduling.reminder_state_history AS h
USING scheduling.reminders AS r
WHERE h.reminder_id = r.id AND r.booking_id = tap.sid('seat');
DELETE FROM scheduling.reminders
WHERE booking_id = tap.sid('seat');
SELECT is(
    scheduling.booking_details(tap.sid('seat')) -> 'reminders', '[]'::jsonb,
    'a booking without reminders has "reminders": [], not null'
);
SELECT throws_ok(
    $$SELECT scheduling.booking_details('00000000-0000-4000-8000-000000000000')$$,
    'SK010', 'booking 00000000-0000-4000-8000-000000000000 not found', 'an unknown booking (SK010)'
);
SELECT throws_ok(
    $$SELECT scheduling.booking_details(NULL)$$, 'SK010', 'booking NULL not found', 'a NULL booking id (SK010)'
);

-- ---- sessions_between --------------------------------------------------------------------------------------
-- Sessions of 2031-05-20 (group 10:00-11:00 above), plus 09:00-10:00 (ends at the window's start), 11:00-12:00
-- (starts at its end), 10:30-11:30 and a deleted 10:15-10:45, all with other hosts.
INSERT INTO tap.ids
SELECT
    s.tag,
    scheduling.create_session(
        scheduling.create_person('Host ' || s.tag, NULL, 'UTC'), s.tag, s.starts_at, s.starts_at + s.length,
        p_now => '2031-05-01 00:00Z'
    ) AS id
FROM (
    VALUES
    ('before', '2031-05-20 09:00Z'::timestamptz, interval '1 hour'),
    ('after', '2031-05-20 11:00Z', interval '1 hour'),
    ('overlap', '2031-05-20 10:30Z', interval '1 hour'),
    ('gone', '2031-05-20 10:15Z', interval '30 minutes'),
    ('same_start', '2031-05-20 10:00Z', interval '15 minutes')
) AS s (tag, starts_at, length);
SELECT scheduling.delete_session(tap.sid('gone'), 'duplicate', p_now => '2031-05-02 00:00Z');
SELECT is(
    (
        SELECT array_agg(s.session_id ORDER BY s.ordinality)
        FROM scheduling.sessions_between('2031-05-20 10:00Z', '2031-05-20 11:00Z') WITH ORDINALITY AS s
    ),
    (
        SELECT array_agg(t.id ORDER BY s.starts_at, t.id)
        FROM tap.ids AS t
        INNER JOIN scheduling.sessions AS s ON t.id = s.id
        WHERE t.tag IN ('group', 'same_start', 'overlap')
    ),
    'sessions_between: the sessions overlapping [from, to), deleted ones left out, by start and id'
);
SELECT is(
    (
        SELECT count(*)::integer
        FROM scheduling.sessions_between('2031-05-20 10:00Z', '2031-05-20 11:00Z') AS s
        WHERE s.session_id IN (tap.sid('before'), tap.sid('after'))
    ),
    0,
    'a session ending at p_from or starting at p_to does not overlap'
);
SELECT is(
    (
        SELECT to_jsonb(s.*) FROM scheduling.sessions_between('2031-05-20 10:00Z', '2031-05-20 11:00Z') AS s
        WHERE s.session_id = tap.sid('group')
    ),
    (
        SELECT to_jsonb(a.*) FROM scheduling.session_availability AS a
        WHERE a.session_id = tap.sid('group')
    ),
    'each row is the session''s session_availability row'
);
SELECT lives_ok(
    $$SELECT scheduling.sessions_between('2031-01-01 00:00Z', '2031-04-04 00:00Z')$$, 'exactly 93 days are accepted'
);
SELECT throws_ok(
    $$SELECT scheduling.sessions_between('2031-01-01 00:00Z', '2031-04-04 00:00:01Z')$$, 'SK078',
    'sessions_between: at most 93 days at a time, not 2031-01-01 00:00:00+00 to 2031-04-04 00:00:01+00',
    'more than 93 days are refused (SK078)'
);
SELECT throws_ok(
    $$SELECT scheduling.sessions_between('2031-01-02 00:00Z', '2031-01-01 00:00Z')$$, 'SK078',
    'sessions_between: p_to (2031-01-01 00:00:00+00) must be after p_from (2031-01-02 00:00:00+00)',
    'p_to before p_from is refused (SK078)'
);
SELECT throws_ok(
    $$SELECT scheduling.sessions_between('2031-01-01 00:00Z', '2031-01-01 00:00Z')$$, 'SK078', NULL,
    'an empty window is refused (SK078)'
);
SELECT throws_ok(
    $$SELECT scheduling.sessions_between(NULL, '2031-01-01 00:00Z')$$, 'SK078',
    'sessions_between: p_from and p_to must be finite times, not NULL and 2031-01-01 00:00:00+00',
    'a NULL bound is refused (SK078)'
);
SELECT throws_ok(
    $$SELECT scheduling.sessions_between('-infinity', '2031-01-01 00:00Z')$$, 'SK078', NULL,
    'an infinite bound is refused (SK078)'
);

-- ---- workshop_availability ---------------------------------------------------------------------------------
INSERT INTO tap.ids VALUES ('pottery', scheduling.create_workshop(tap.sid('host'), 'Pottery', 2, 'Europe/Berlin'));
INSERT INTO tap.ids VALUES
('june', scheduling.create_workshop_run(tap.sid('pottery'), 'June Batch', '2031-06-01')),
('july', scheduling.create_workshop_run(tap.sid('pottery'), 'July Batch', '2031-07-01')),
('over', scheduling.create_workshop_run(tap.sid('pottery'), 'Over', '2031-05-01'));
-- Days added out of order; June's run starts before July's though July was made second.
INSERT INTO tap.ids VALUES
('j2', scheduling.add_workshop_session(
    tap.sid('june'), 2, '2031-06-08 10:00Z', '2031-06-08 12:00Z', p_now => '2031-05-01 00:00Z'
)),
('j1', scheduling.add_workshop_session(
    tap.sid('june'), 1, '2031-06-07 10:00Z', '2031-06-07 12:00Z', p_now => '2031-05-01 00:00Z'
)),
('j3', scheduling.add_workshop_session(
    tap.sid('june'), 3, '2031-06-09 10:00Z', '2031-06-09 12:00Z', p_now => '2031-05-01 00:00Z'
)),
('u1', scheduling.add_workshop_session(
    tap.sid('july'), 1, '2031-06-05 10:00Z', '2031-06-05 12:00Z', p_now => '2031-05-01 00:00Z'
)),
('o1', scheduling.add_workshop_session(
    tap.sid('over'), 1, '2031-05-25 10:00Z', '2031-05-25 12:00Z', p_now => '2031-05-01 00:00Z'
));
SELECT scheduling.delete_session(tap.sid('j3'), 'moved', p_now => '2031-05-02 00:00Z');
SELECT scheduling.enroll(tap.sid('j1'), tap.sid('ann'), p_now => '2031-05-02 00:00Z');
CREATE TEMP TABLE t_workshop AS
SELECT scheduling.workshop_availability(tap.sid('pottery'), '2031-06-01 00:00Z') AS w;

SELECT is(
    (SELECT t.w -> 'workshop' FROM t_workshop AS t),
    jsonb_build_object(
        'id', tap.sid('pottery'), 'host_id', tap.sid('host'), 'title', 'Pottery', 'description', NULL,
        'default_capacity', 2, 'is_active', TRUE, 'time_zone', 'Europe/Berlin'
    ),
    'workshop_availability: the workshop'
);
SELECT is(
    (
        SELECT array_agg(e.r ->> 'run_name' ORDER BY e.n)
        FROM t_workshop AS t, jsonb_array_elements(t.w -> 'runs') WITH ORDINALITY AS e (r, n)
    ),
    ARRAY['July Batch', 'June Batch'],
    'runs by their first coming session; a run whose sessions all ended is left out'
);
SELECT is(
    (
        SELECT array_agg((e.s ->> 'session_id')::uuid ORDER BY e.n)
        FROM t_workshop AS t, jsonb_array_elements(t.w -> 'runs' -> 1 -> 'sessions') WITH ORDINALITY AS e (s, n)
    ),
    ARRAY[tap.sid('j1'), tap.sid('j2')],
    'sessions by day number; deleted ones left out'
);
SELECT is(
    (SELECT (t.w -> 'runs' -> 1) - 'sessions' FROM t_workshop AS t),
    jsonb_build_object('run_id', tap.sid('june'), 'run_name', 'June Batch'),
    'a run: run_id, run_name and sessions'
);
SELECT is(
    (SELECT t.w -> 'runs' -> 1 -> 'sessions' -> 0 FROM t_workshop AS t),
    (
        SELECT
            jsonb_build_object(
                'session_id', a.session_id, 'day_number', 1, 'title', a.title, 'starts_at', a.starts_at,
                'ends_at', a.ends_at, 'session_status', 'scheduled', 'capacity', 2, 'seats_left', 1, 'waitlisted', 0,
                'calculated_status', a.calculated_status
            )
        FROM scheduling.session_availability AS a
        WHERE a.session_id = tap.sid('j1')
    ),
    'a session: its availability, one seat taken of two'
);
SELECT is(
    scheduling.workshop_availability(tap.sid('pottery'), '2031-07-01 00:00Z') -> 'runs', '[]'::jsonb,
    'when every session has ended: "runs": []'
);
SELECT throws_ok(
    $$SELECT scheduling.workshop_availability('00000000-0000-4000-8000-000000000000')$$,
    'SK028', 'workshop 00000000-0000-4000-8000-000000000000 not found', 'an unknown workshop (SK028)'
);
SELECT throws_ok(
    $$SELECT scheduling.workshop_availability(NULL)$$, 'SK028', 'workshop NULL not found', 'a NULL workshop (SK028)'
);

-- The app may call all three.
SELECT set_config('sk_test.ids', (
    SELECT string_agg(t.id::text, ',' ORDER BY t.tag) FROM tap.ids AS t
    WHERE t.tag IN ('appt', 'pottery')
), TRUE);
SET LOCAL ROLE sessionkeeper_app;
SELECT lives_ok(
    $$SELECT scheduling.booking_details(split_part(current_setting('sk_test.ids'), ',', 1)::uuid),
    scheduling.workshop_availability(split_part(current_setting('sk_test.ids'), ',', 2)::uuid),
    (SELECT count(*) FROM scheduling.sessions_between('2031-05-20 10:00Z', '2031-05-20 11:00Z'))$$,
    'the app may call booking_details, workshop_availability and sessions_between'
);
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
