-- Simulated time: a p_now more than 5 minutes ahead is refused (SK038) unless sessionkeeper.simulated_time is on.
BEGIN;
SELECT plan(18);

CREATE FUNCTION pg_temp.last_tick_at() RETURNS timestamptz
LANGUAGE sql STABLE AS $$SELECT ts.last_tick_at FROM scheduling.tick_state AS ts WHERE ts.singleton$$;

-- SET LOCAL sessionkeeper.simulated_time = off (set_config: sqlfluff cannot parse a dotted SET name).
SELECT set_config('sessionkeeper.simulated_time', 'off', TRUE);
INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Host', '+34600123456'));
INSERT INTO tap.ids VALUES ('guest', scheduling.create_person('Guest', '+34600123457'));
INSERT INTO tap.ids VALUES ('other', scheduling.create_person('Other', '+34600123458'));
INSERT INTO tap.ids
VALUES (
    'tomorrow',
    scheduling.create_session(
        tap.sid('host'), 'Due tomorrow', date_trunc('minute', now()) + interval '1 day',
        date_trunc('minute', now()) + interval '1 day 1 hour', p_capacity => 5
    )
);
INSERT INTO tap.ids VALUES ('booking', scheduling.create_booking(tap.sid('tomorrow'), tap.sid('guest')));
CREATE TEMP TABLE t_before AS
SELECT
    tap.history_count() AS history,
    pg_temp.last_tick_at() AS last_tick_at;

SELECT throws_ok(
    $$SELECT scheduling.tick(now() + INTERVAL '1 day')$$,
    'SK038', NULL, 'tick a day ahead with simulated time off: SK038'
);
SELECT is(tap.status('tomorrow'), 'scheduled', 'the refused tick left the session due tomorrow scheduled');
SELECT is(tap.history_count(), (SELECT b.history FROM t_before AS b), 'the refused tick wrote no history');
SELECT is(
    pg_temp.last_tick_at(), (SELECT b.last_tick_at FROM t_before AS b), 'the refused tick did not move last_tick_at'
);
SELECT throws_like(
    $$SELECT scheduling.tick(now() + INTERVAL '1 day')$$,
    'tick: p_now % is more than 5 minutes ahead of the database''s time % and simulated time is off',
    'the message names the function, p_now and the database''s time'
);
SELECT lives_ok(
    $$SELECT scheduling.tick(now() + INTERVAL '4 minutes')$$,
    'a p_now up to 5 minutes ahead is allowed (a caller''s clock a little fast)'
);
SELECT lives_ok($$SELECT scheduling.tick(now() - INTERVAL '1 day')$$, 'a p_now in the past is allowed (catching up)');
SELECT is(tap.status('tomorrow'), 'scheduled', 'neither allowed tick moved the session due tomorrow');

-- A sample of the other functions that write: refused before they look at anything.
SELECT throws_ok(
    $$SELECT scheduling.start_session(tap.sid('tomorrow'), 'bob', now() + INTERVAL '1 day')$$,
    'SK038', NULL, 'start_session a day ahead: SK038'
);
SELECT throws_ok(
    $$SELECT scheduling.cancel_booking(tap.sid('booking'), 'moved', 'bob', now() + INTERVAL '1 day')$$,
    'SK038', NULL, 'cancel_booking a day ahead: SK038'
);
SELECT throws_ok(
    $$SELECT scheduling.claim_due_reminders('worker-1', 10, '60 seconds', now() + INTERVAL '1 day')$$,
    'SK038', NULL, 'claim_due_reminders a day ahead: SK038'
);
SELECT throws_ok(
    $$SELECT scheduling.generate_recurring_sessions(gen_random_uuid(), 30, now() + INTERVAL '1 day')$$,
    'SK038', NULL, 'generate_recurring_sessions a day ahead: SK038, before the template is looked up'
);
SELECT throws_ok(
    $$SELECT scheduling.create_booking(tap.sid('tomorrow'), tap.sid('other'), NULL, 'bob',
        now() + INTERVAL '1 day')$$,
    'SK038', NULL, 'create_booking a day ahead: SK038'
);
SELECT is(
    (
        SELECT b.status::text FROM scheduling.bookings AS b
        WHERE b.id = tap.sid('booking')
    ),
    'confirmed', 'the refused calls left the booking confirmed'
);

-- Anything but on, true, yes or 1 is off.
SELECT set_config('sessionkeeper.simulated_time', '', TRUE);
SELECT throws_ok(
    $$SELECT scheduling.tick(now() + INTERVAL '1 day')$$, 'SK038', NULL, 'an empty setting is off: SK038'
);
SELECT set_config('sessionkeeper.simulated_time', 'maybe', TRUE);
SELECT throws_ok(
    $$SELECT scheduling.tick(now() + INTERVAL '1 day')$$, 'SK038', NULL, 'an unknown word is off: SK038'
);

-- Switched on: the future time is pretended, and written, as before.
SELECT set_config('sessionkeeper.simulated_time', 'ON', TRUE);
SELECT is(
    (scheduling.tick(now() + interval '1 day 5 minutes') ->> 'started')::integer, 1,
    'with simulated time on, tick a day ahead starts the session due then'
);
SELECT is(tap.status('tomorrow'), 'in_progress', 'the session due tomorrow is in progress');

SELECT * FROM finish();
ROLLBACK;
