-- Least privilege, the app role: what sessionkeeper_app can do (people, sessions, bookings, workshops,
-- templates, every view), all through SECURITY DEFINER functions, and what it cannot (any table directly, the
-- worker's and cron's functions, the internal helpers: 42501). Every call below runs as sessionkeeper_app.
BEGIN;

-- The app tags what it creates in the shared tap.ids (these grants are rolled back with the rest).
GRANT USAGE ON SCHEMA tap TO sessionkeeper_app;
GRANT SELECT, INSERT ON tap.ids TO sessionkeeper_app;
-- The views the data below fills (the others may be empty at the real now(), but must still be readable).
CREATE TEMP TABLE t_filled_views (relname name PRIMARY KEY);
INSERT INTO t_filled_views VALUES
('queue_stats'), ('recurring_generation_log'), ('recurring_templates_overview'), ('reminder_status'),
('session_availability'), ('session_enrollments'), ('session_history'), ('sessions_in_progress'),
('upcoming_sessions'), ('workshop_run_summary'), ('workshops_with_available_sessions');
GRANT SELECT ON t_filled_views TO sessionkeeper_app;

SELECT plan(
    51
    + (
        SELECT count(*)::integer FROM pg_class AS c
        WHERE c.relnamespace = 'scheduling'::regnamespace AND c.relkind = 'v'
    )
    + (SELECT count(*)::integer FROM t_filled_views)
);

SET LOCAL ROLE sessionkeeper_app;

-- CAN: people, a session, a booking and its cancellation.
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES
    ('host', scheduling.create_person('Hana Host', '+4915112345678', 'Europe/Berlin')),
    ('ann', scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)),
    ('bob', scheduling.create_person('Bob', '+4915112345680', 'Europe/Berlin', TRUE))$$,
    'the app creates people (create_person)'
);
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES ('yoga', scheduling.create_session(
        tap.sid('host'), 'Yoga', '2031-05-01 10:00Z', '2031-05-01 11:00Z', 'Europe/Berlin',
        p_capacity => 5, p_now => '2031-04-01 00:00Z'
    ))$$,
    'the app creates a session (create_session)'
);
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES
    ('ann_yoga', scheduling.create_booking(tap.sid('yoga'), tap.sid('ann'), p_now => '2031-04-01 00:00Z')),
    ('bob_yoga', scheduling.create_booking(tap.sid('yoga'), tap.sid('bob'), p_now => '2031-04-01 00:00Z'))$$,
    'the app books two people into it (create_booking)'
);
SELECT is(
    (
        SELECT a.current_attendees FROM scheduling.session_availability AS a
        WHERE a.session_id = tap.sid('yoga')
    ),
    2,
    'the bookings counted in current_attendees, read by the app from session_availability'
);
SELECT is(
    (scheduling.cancel_booking(tap.sid('bob_yoga'), 'changed plans', p_now => '2031-04-02 00:00Z')).status::text,
    'cancelled',
    'the app cancels a booking (cancel_booking)'
);
SELECT is(
    (
        SELECT a.current_attendees FROM scheduling.session_availability AS a
        WHERE a.session_id = tap.sid('yoga')
    ),
    1,
    'the cancellation gave the seat back: current_attendees 1'
);

-- CAN: an appointment (with its reminders), a workshop run with a day, an enrollment, a template and its sessions.
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES ('cut', scheduling.create_appointment(
        tap.sid('host'), tap.sid('ann'), 'Haircut', '2031-05-02 10:00Z', '2031-05-02 10:30Z', NULL, 'app',
        '2031-04-01 00:00Z'
    ))$$,
    'the app creates an appointment (create_appointment)'
);
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES ('pottery', scheduling.create_workshop(tap.sid('host'), 'Pottery', 2))$$,
    'the app creates a workshop (create_workshop)'
);
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES ('may', scheduling.create_workshop_run(tap.sid('pottery'), 'May', '2031-05-05'))$$,
    'the app creates a workshop run (create_workshop_run)'
);
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES ('day1', scheduling.add_workshop_session(
        tap.sid('may'), 1, '2031-05-05 10:00Z', '2031-05-05 16:00Z', p_now => '2031-04-01 00:00Z'
    ))$$,
    'the app adds a day to the run (add_workshop_session)'
);
SELECT is(
    (
        SELECT e.outcome
        FROM scheduling.enroll(tap.sid('day1'), tap.sid('bob'), p_now => '2031-04-01 00:00Z') AS e
    ),
    'confirmed',
    'the app enrolls a person (enroll)'
);
SELECT is(
    (
        SELECT a.current_attendees FROM scheduling.session_availability AS a
        WHERE a.session_id = tap.sid('day1')
    ),
    1,
    'the enrollment counted in current_attendees'
);
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES ('daily', scheduling.create_template(
        tap.sid('host'), 'Daily stretch', 'FREQ=DAILY;COUNT=3', '2031-05-10', '08:00', '30 minutes', 'UTC',
        p_now => '2031-04-01 00:00Z'
    ))$$,
    'the app creates a recurring template (create_template)'
);
SELECT is(
    (
        SELECT count(*)::integer
        FROM scheduling.generate_recurring_sessions(tap.sid('daily'), 60, '2031-04-20 00:00Z')
    ),
    3,
    'the app generates its sessions (generate_recurring_sessions)'
);
SELECT results_eq(
    $$SELECT p.from_state, p.to_state FROM scheduling.preview('2031-05-10 08:10Z') AS p
    WHERE p.kind = 'session' AND p.title = 'Daily stretch'$$,
    $$VALUES ('scheduled'::text, 'in_progress'::text)$$,
    'the app previews what tick would do (preview)'
);
SELECT lives_ok(
    $$INSERT INTO tap.ids VALUES ('live', scheduling.create_session(
        tap.sid('host'), 'Live now', now() - interval '5 minutes', now() + interval '1 hour', 'UTC',
        'host_started', p_now => now() - interval '1 day'
    ))$$,
    'the app creates a host-started session'
);
SELECT is(
    (scheduling.start_session(tap.sid('live'))).status::text,
    'in_progress',
    'the app starts it (start_session)'
);

-- CAN: read every view of the schema; those the data above fills return rows.
SELECT
    lives_ok(
        format('SELECT * FROM scheduling.%I', c.relname),
        format('the app reads view scheduling.%s', c.relname)
    )
FROM pg_class AS c
WHERE c.relnamespace = 'scheduling'::regnamespace AND c.relkind = 'v'
ORDER BY c.relname;
SELECT
    isnt_empty(
        format('SELECT * FROM scheduling.%I', v.relname),
        format('view scheduling.%s returns rows to the app', v.relname)
    )
FROM t_filled_views AS v
ORDER BY v.relname;
SELECT is(
    (
        SELECT DISTINCT recipient_time_zone FROM scheduling.reminder_status
        WHERE booking_id = tap.sid('ann_yoga')
    ),
    'Europe/Berlin',
    'the app reads the recipient''s time zone from reminder_status (people itself stays closed to it)'
);

-- CANNOT: any table directly, not even current_attendees.
SELECT throws_ok(
    $$INSERT INTO scheduling.bookings (session_id, person_id) VALUES (tap.sid('yoga'), tap.sid('bob'))$$,
    '42501', 'permission denied for table bookings', 'the app cannot INSERT INTO bookings (42501)'
);
SELECT throws_ok(
    $$UPDATE scheduling.sessions SET current_attendees = 0 WHERE id = tap.sid('yoga')$$,
    '42501', 'permission denied for table sessions', 'the app cannot UPDATE sessions.current_attendees (42501)'
);
SELECT throws_ok(
    $$UPDATE scheduling.bookings SET status = 'cancelled' WHERE id = tap.sid('ann_yoga')$$,
    '42501', 'permission denied for table bookings', 'the app cannot UPDATE bookings (42501)'
);
SELECT throws_ok(
    'DELETE FROM scheduling.people',
    '42501', 'permission denied for table people', 'the app cannot DELETE FROM people (42501)'
);
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.reminders',
    '42501', 'permission denied for table reminders', 'the app cannot SELECT from reminders (42501)'
);
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.sessions',
    '42501', 'permission denied for table sessions', 'the app cannot SELECT from sessions (42501)'
);
SELECT throws_ok(
    'TRUNCATE scheduling.worker_heartbeats',
    '42501', 'permission denied for table worker_heartbeats', 'the app cannot TRUNCATE a table (42501)'
);
SELECT throws_ok(
    'CREATE TABLE scheduling.app_scratch (id integer)', '42501', 'permission denied for schema scheduling',
    'the app cannot create objects in scheduling (42501)'
);
SELECT is(
    (
        SELECT a.current_attendees FROM scheduling.session_availability AS a
        WHERE a.session_id = tap.sid('yoga')
    ),
    1,
    'current_attendees unchanged by the refused UPDATE'
);

-- CANNOT: the worker's and cron's functions.
SELECT function_privs_are(
    'scheduling', 'claim_due_reminders', ARRAY['text', 'integer', 'interval', 'timestamptz'], 'sessionkeeper_app',
    '{}'::text [], 'the app holds no EXECUTE on claim_due_reminders'
);
SELECT function_privs_are(
    'scheduling', 'create_booking', ARRAY['uuid', 'uuid', 'text', 'text', 'timestamptz'], 'sessionkeeper_app',
    ARRAY['EXECUTE'], 'the app holds EXECUTE on create_booking'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.claim_due_reminders('app', 10, '60 seconds', '2031-05-02 09:00Z')$$,
    '42501', 'permission denied for function claim_due_reminders', 'the app cannot claim reminders (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.record_reminder_sent(gen_random_uuid(), gen_random_uuid(), 'wamid.x')$$,
    '42501', 'permission denied for function record_reminder_sent', 'the app cannot record a send (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.take_send_tokens('cloud_api:1', 10)$$,
    '42501', 'permission denied for function take_send_tokens', 'the app cannot take send tokens (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.worker_heartbeat('app', 'console')$$,
    '42501', 'permission denied for function worker_heartbeat', 'the app cannot write a worker heartbeat (42501)'
);
SELECT throws_ok(
    'SELECT scheduling.health()', '42501', 'permission denied for function health', 'the app cannot call health (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.tick('2031-05-01 10:00Z')$$,
    '42501', 'permission denied for function tick', 'the app cannot tick (42501)'
);
SELECT throws_ok(
    'SELECT * FROM scheduling.activate_scheduled_sessions()',
    '42501', 'permission denied for function activate_scheduled_sessions',
    'the app cannot run activate_scheduled_sessions (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.archive_closed_sessions('0 days', 1000)$$,
    '42501', 'permission denied for function archive_closed_sessions',
    'the app cannot archive sessions (42501)'
);
SELECT throws_ok(
    'SELECT scheduling.generate_all_recurring_sessions(30)',
    '42501', 'permission denied for function generate_all_recurring_sessions',
    'the app cannot run generate_all_recurring_sessions (42501)'
);

-- CANNOT: internal helpers and operator-only functions.
SELECT throws_ok(
    $$SELECT scheduling_internal.lock_session_for_action(tap.sid('yoga'), 'cancel')$$,
    '42501', 'permission denied for schema scheduling_internal',
    'the app cannot call lock_session_for_action (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.plan_booking_reminders(tap.sid('ann_yoga'))$$,
    '42501', 'permission denied for schema scheduling_internal',
    'the app cannot call plan_booking_reminders (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.promote_waitlist(tap.sid('day1'))$$,
    '42501', 'permission denied for schema scheduling_internal',
    'the app cannot call promote_waitlist (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.cancel_open_reminders(tap.sid('ann_yoga'), NULL, NULL, 'cancelled', 'x')$$,
    '42501', 'permission denied for schema scheduling_internal',
    'the app cannot call cancel_open_reminders (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.queue_cancellation_message(tap.sid('ann_yoga'))$$,
    '42501', 'permission denied for schema scheduling_internal',
    'the app cannot call queue_cancellation_message (42501)'
);
SELECT throws_ok(
    'SELECT * FROM scheduling_internal.advance_due_sessions()',
    '42501', 'permission denied for schema scheduling_internal',
    'the app cannot call advance_due_sessions (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.set_send_rate('cloud_api:1', 1000)$$, '42501', 'permission denied for function set_send_rate',
    'the app cannot change the send rate (42501)'
);
SELECT throws_ok(
    'SELECT scheduling.retry_failed_reminders()', '42501', 'permission denied for function retry_failed_reminders',
    'the app cannot retry failed reminders (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_reminder_policy('sneaky', '{1 minute}')$$,
    '42501', 'permission denied for function create_reminder_policy',
    'the app cannot create a reminder policy (42501)'
);
SELECT throws_ok(
    'SELECT scheduling.create_demo_data()',
    '42501', 'permission denied for function create_demo_data', 'the app cannot create demo data (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.render_template('{{1}}', '["x"]')$$,
    '42501', 'permission denied for schema scheduling_internal',
    'the app cannot call render_template (42501)'
);
SELECT throws_ok(
    'SELECT scheduling.refresh_time_zones()',
    '42501', 'permission denied for function refresh_time_zones', 'the app cannot call refresh_time_zones (42501)'
);

RESET ROLE;
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.bookings
        WHERE person_id = tap.sid('bob') AND status = 'confirmed'
    ),
    1,
    'nothing the app was refused wrote anything: Bob has only his workshop booking'
);

SELECT * FROM finish();
ROLLBACK;
