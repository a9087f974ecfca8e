-- Least privilege, the worker and cron roles: sessionkeeper_worker runs the whole outbox cycle (tokens,
-- claim, sent, failure, release, uncertain, heartbeat, health) and sessionkeeper_cron the scheduled jobs, each
-- through its own SECURITY DEFINER functions only; every table, the other roles' functions and the internal
-- helpers are refused (42501). The webhook role records delivery reports and replies, and gets nothing else.
BEGIN;
SELECT plan(67);

-- The worker and cron name ids by tag (tap.sid) in calls that must fail on the function, not on tap: they may
-- read tap.ids (granted here, rolled back with the rest).
GRANT USAGE ON SCHEMA tap TO sessionkeeper_worker, sessionkeeper_cron;
GRANT SELECT ON tap.ids TO sessionkeeper_worker, sessionkeeper_cron;

-- What the worker claimed, in claim order (the worker writes it, the test reads it).
CREATE TEMP TABLE t_claimed (n integer GENERATED ALWAYS AS IDENTITY, reminder_id uuid, attempt_token uuid);
GRANT SELECT, INSERT ON t_claimed TO sessionkeeper_worker;
CREATE FUNCTION pg_temp.claimed(p_n integer) RETURNS t_claimed
LANGUAGE sql STABLE AS $$SELECT c.* FROM t_claimed AS c WHERE c.n = p_n$$;

-- Set up as the test's superuser: four appointments on 2031-05-01 10:00Z, each with a reminder due at 09:00Z.
INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin'));
INSERT INTO tap.ids
SELECT
    'c' || g AS tag,
    scheduling.create_appointment(
        tap.free_host('2031-05-01 10:00Z', '2031-05-01 10:30Z'),
        scheduling.create_person('Customer ' || g, '+491511234560' || g, 'Europe/Berlin', TRUE),
        'Haircut', '2031-05-01 10:00Z', '2031-05-01 10:30Z', NULL, 'setup', '2031-04-01 00:00Z'
    ) AS id
FROM generate_series(1, 4) AS g;
INSERT INTO tap.ids VALUES ('weekly', scheduling.create_template(
    tap.sid('host'), 'Weekly class', 'FREQ=WEEKLY;COUNT=4', '2031-06-02', '18:00', '1 hour', 'UTC',
    p_now => '2031-05-20 00:00Z'
));

-- ---- the worker -------------------------------------------------------------------------------------------------
SET LOCAL ROLE sessionkeeper_worker;

SELECT is(
    scheduling.seconds_until_next_reminder('2031-05-01 08:00Z'), 3600::double precision,
    'the worker asks how long until the next reminder: one hour'
);
SELECT is(
    scheduling.take_send_tokens('cloud_api:1', 4, '2031-05-01 09:00:10Z'), 4, 'the worker takes four send tokens'
);
SELECT lives_ok(
    $$SELECT scheduling.return_send_tokens('cloud_api:1', 1)$$, 'the worker returns an unused token'
);
SELECT lives_ok(
    $$SELECT scheduling.seconds_until_send_tokens('cloud_api:1')$$, 'the worker asks when tokens are back'
);
SELECT lives_ok(
    $$INSERT INTO t_claimed (reminder_id, attempt_token)
    SELECT c.reminder_id, c.attempt_token
    FROM scheduling.claim_due_reminders('w1', 10, '60 seconds', '2031-05-01 09:00:10Z') AS c
    ORDER BY c.reminder_id$$,
    'the worker claims the due reminders'
);
SELECT is((SELECT count(*)::integer FROM t_claimed), 4, 'all four due reminders were claimed');
SELECT is(
    scheduling.record_reminder_sent(
        (pg_temp.claimed(1)).reminder_id, (pg_temp.claimed(1)).attempt_token, 'wamid.roles1', '2031-05-01 09:00:11Z'
    )::text,
    'sent',
    'the worker records a send'
);
SELECT is(
    scheduling.record_reminder_failure(
        (pg_temp.claimed(2)).reminder_id, (pg_temp.claimed(2)).attempt_token, '131026', 'undeliverable', FALSE,
        '2031-05-01 09:00:11Z'
    )::text,
    'failed',
    'the worker records a permanent failure'
);
SELECT is(
    scheduling.release_reminder(
        (pg_temp.claimed(3)).reminder_id, (pg_temp.claimed(3)).attempt_token, NULL, 'shutting down',
        '2031-05-01 09:00:11Z'
    )::text,
    'pending',
    'the worker releases a claim'
);
SELECT lives_ok(
    $$SELECT scheduling.mark_reminder_uncertain((pg_temp.claimed(4)).reminder_id, (pg_temp.claimed(4)).attempt_token)$$,
    'the worker marks a send as uncertain'
);
SELECT lives_ok(
    $$SELECT scheduling.worker_heartbeat('w1', 'cloud_api', '{"sent": 1}', FALSE, '2031-05-01 09:00:12Z')$$,
    'the worker writes its heartbeat'
);
SELECT is(
    (scheduling.health(p_now => '2031-05-01 09:00:13Z') ->> 'workers_alive')::integer, 1,
    'the worker reads health, which sees its heartbeat'
);

-- The worker cannot touch a table, nor call anybody else's functions or the internal helpers.
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.reminders',
    '42501', 'permission denied for table reminders', 'the worker cannot SELECT from reminders (42501)'
);
SELECT throws_ok(
    $$UPDATE scheduling.reminders SET state = 'sent' WHERE id = (pg_temp.claimed(3)).reminder_id$$,
    '42501', 'permission denied for table reminders',
    'the worker cannot UPDATE reminders (42501)'
);
SELECT throws_ok(
    $$INSERT INTO scheduling.worker_heartbeats (worker_id, sender) VALUES ('fake', 'console')$$,
    '42501', 'permission denied for table worker_heartbeats',
    'the worker cannot INSERT INTO worker_heartbeats (42501)'
);
SELECT throws_ok(
    'DELETE FROM scheduling.send_rate_limits',
    '42501', 'permission denied for table send_rate_limits', 'the worker cannot DELETE FROM send_rate_limits (42501)'
);
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.people',
    '42501', 'permission denied for table people', 'the worker cannot SELECT from people (42501)'
);
SELECT throws_ok(
    'SELECT * FROM scheduling.queue_stats',
    '42501', 'permission denied for view queue_stats', 'the worker cannot read the app''s views (42501)'
);
SELECT function_privs_are(
    'scheduling', 'create_booking', ARRAY['uuid', 'uuid', 'text', 'text', 'timestamptz'], 'sessionkeeper_worker',
    '{}'::text [], 'the worker holds no EXECUTE on create_booking'
);
SELECT function_privs_are(
    'scheduling', 'claim_due_reminders', ARRAY['text', 'integer', 'interval', 'timestamptz'], 'sessionkeeper_worker',
    ARRAY['EXECUTE'], 'the worker holds EXECUTE on claim_due_reminders'
);
SELECT throws_ok(
    $$SELECT scheduling.create_booking(tap.sid('c1'), tap.sid('host'))$$,
    '42501', 'permission denied for function create_booking',
    'the worker cannot book (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.cancel_booking(gen_random_uuid())$$,
    '42501', 'permission denied for function cancel_booking', 'the worker cannot cancel a booking (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_person('Mallory', '+4915112345699', 'UTC')$$,
    '42501', 'permission denied for function create_person',
    'the worker cannot create a person (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.tick('2031-05-01 10:00Z')$$,
    '42501', 'permission denied for function tick', 'the worker cannot tick (42501)'
);
SELECT throws_ok(
    'SELECT * FROM scheduling.activate_scheduled_sessions()',
    '42501', 'permission denied for function activate_scheduled_sessions',
    'the worker cannot run activate_scheduled_sessions (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.lock_reminder_for_worker((pg_temp.claimed(3)).reminder_id, NULL, 'x')$$,
    '42501', 'permission denied for schema scheduling_internal',
    'the worker cannot call lock_reminder_for_worker directly (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.lock_send_rate_limit('cloud_api:1')$$,
    '42501', 'permission denied for schema scheduling_internal',
    'the worker cannot call lock_send_rate_limit directly (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.set_send_rate('cloud_api:1', 1000)$$, '42501', 'permission denied for function set_send_rate',
    'the worker cannot raise its own send rate (42501)'
);
SELECT throws_ok(
    'SELECT scheduling.retry_failed_reminders()',
    '42501', 'permission denied for function retry_failed_reminders', 'the worker cannot retry failed reminders (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.reminder_parameters('a', 'b', 'c', '2031-05-01 10:00Z', 'UTC')$$,
    '42501', 'permission denied for schema scheduling_internal',
    'the worker cannot call reminder_parameters (42501)'
);
RESET ROLE;

SELECT results_eq(
    $$SELECT r.state::text, r.uncertain, r.provider_message_id FROM t_claimed AS c
    JOIN scheduling.reminders AS r ON r.id = c.reminder_id ORDER BY c.n$$,
    $$VALUES ('sent', FALSE, 'wamid.roles1'), ('failed', FALSE, NULL), ('pending', FALSE, NULL),
    ('leased', TRUE, NULL)$$,
    'the worker''s calls took effect: sent, failed, released, uncertain'
);

-- ---- the webhook role: its two functions (migration 0008), nothing of the others ------------------------------
SET LOCAL ROLE sessionkeeper_webhook;
SELECT lives_ok(
    $$SELECT scheduling.record_delivery_status(
        'whatsapp', 'wamid.roles1', 'delivered', '2031-05-01 09:00:20Z', p_now => '2031-05-01 09:00:21Z'
    )$$,
    'the webhook records a delivery status (record_delivery_status)'
);
SELECT lives_ok(
    $$SELECT scheduling.record_inbound_message(
        'whatsapp', 'wamid.in.roles1', '+4915112345602', 'Thanks, see you', p_now => '2031-05-01 09:05Z'
    )$$,
    'the webhook records a reply (record_inbound_message)'
);
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.reminders',
    '42501', 'permission denied for table reminders', 'the webhook cannot SELECT from reminders (42501)'
);
SELECT throws_ok(
    $$UPDATE scheduling.reminders SET state = 'cancelled'$$, '42501', 'permission denied for table reminders',
    'the webhook cannot UPDATE reminders (42501)'
);
SELECT throws_ok(
    'SELECT count(*) FROM scheduling.bookings',
    '42501', 'permission denied for table bookings', 'the webhook cannot SELECT from bookings (42501)'
);
SELECT throws_ok(
    'SELECT * FROM scheduling.reminder_status',
    '42501', 'permission denied for view reminder_status', 'the webhook cannot read the app''s views (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.cancel_booking(gen_random_uuid())$$, '42501', 'permission denied for function cancel_booking',
    'the webhook cannot call cancel_booking itself (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_booking(gen_random_uuid(), gen_random_uuid())$$,
    '42501', 'permission denied for function create_booking',
    'the webhook cannot book (42501)'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.claim_due_reminders('hook', 10, '60 seconds')$$,
    '42501', 'permission denied for function claim_due_reminders',
    'the webhook cannot claim reminders (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.record_reminder_sent(gen_random_uuid(), gen_random_uuid(), 'wamid.x')$$,
    '42501', 'permission denied for function record_reminder_sent',
    'the webhook cannot record a send (42501)'
);
SELECT throws_ok(
    'SELECT scheduling.tick()', '42501', 'permission denied for function tick', 'the webhook cannot tick (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.queue_cancellation_message(gen_random_uuid())$$,
    '42501', 'permission denied for schema scheduling_internal',
    'the webhook cannot call queue_cancellation_message (42501)'
);
RESET ROLE;

SELECT results_eq(
    $$SELECT
        (SELECT r.delivery_status::text FROM scheduling.reminders AS r WHERE r.provider_message_id = 'wamid.roles1'),
        (SELECT count(*)::integer FROM scheduling.inbound_messages AS m WHERE m.provider_message_id = 'wamid.in.roles1')$$,
    $$VALUES ('delivered'::text, 1)$$,
    'the webhook''s calls took effect: the reminder is delivered, the reply is stored'
);

-- ---- cron -------------------------------------------------------------------------------------------------------
SET LOCAL ROLE sessionkeeper_cron;

SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.preview('2031-05-01 10:00:30Z') AS p
        WHERE p.kind = 'session'
    ), 4,
    'cron previews the four starts before it ticks (preview)'
);
SELECT is(
    (scheduling.tick('2031-05-01 10:00:30Z') ->> 'started')::integer, 4, 'cron ticks: the four appointments start'
);
SELECT lives_ok(
    $$SELECT count(*) FROM scheduling.activate_scheduled_sessions('2031-05-01 10:00:31Z')$$,
    'cron runs activate_scheduled_sessions'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.auto_close_expired_sessions('2031-05-01 10:45Z')), 4,
    'cron closes the four expired sessions (auto_close_expired_sessions)'
);
SELECT is(
    (scheduling.generate_all_recurring_sessions(30, '2031-05-20 00:00Z') ->> 'created')::integer, 3,
    'cron generates the template''s three sessions of the next 30 days (generate_all_recurring_sessions)'
);
SELECT is(
    scheduling.archive_closed_sessions('1 day', 1000, '2031-06-01 00:00Z'), 4,
    'cron archives the four closed sessions (archive_closed_sessions)'
);
SELECT lives_ok('SELECT scheduling.health()', 'cron reads health');

SELECT throws_ok(
    'SELECT count(*) FROM scheduling.sessions',
    '42501', 'permission denied for table sessions', 'cron cannot SELECT from sessions (42501)'
);
SELECT throws_ok(
    $$UPDATE scheduling.sessions SET status = 'cancelled'$$,
    '42501', 'permission denied for table sessions', 'cron cannot UPDATE sessions (42501)'
);
SELECT throws_ok(
    'DELETE FROM scheduling.bookings',
    '42501', 'permission denied for table bookings', 'cron cannot DELETE FROM bookings (42501)'
);
SELECT throws_ok(
    $$INSERT INTO scheduling.tick_state (last_tick_at) VALUES (now())$$,
    '42501', 'permission denied for table tick_state',
    'cron cannot INSERT INTO tick_state (42501)'
);
SELECT throws_ok(
    'SELECT * FROM scheduling.upcoming_sessions',
    '42501', 'permission denied for view upcoming_sessions', 'cron cannot read the app''s views (42501)'
);
SELECT function_privs_are(
    'scheduling', 'cancel_booking', ARRAY['uuid', 'text', 'text', 'timestamptz'], 'sessionkeeper_cron',
    '{}'::text [], 'cron holds no EXECUTE on cancel_booking'
);
SELECT function_privs_are(
    'scheduling', 'tick', ARRAY['timestamptz'], 'sessionkeeper_cron', ARRAY['EXECUTE'], 'cron holds EXECUTE on tick'
);
SELECT throws_ok(
    $$SELECT scheduling.cancel_booking(gen_random_uuid())$$,
    '42501', 'permission denied for function cancel_booking', 'cron cannot cancel a booking (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.create_booking(gen_random_uuid(), gen_random_uuid())$$,
    '42501', 'permission denied for function create_booking',
    'cron cannot book (42501)'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.claim_due_reminders('cron', 10, '60 seconds')$$,
    '42501', 'permission denied for function claim_due_reminders',
    'cron cannot claim reminders (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling.worker_heartbeat('cron', 'console')$$,
    '42501', 'permission denied for function worker_heartbeat',
    'cron cannot write a worker heartbeat (42501)'
);
SELECT throws_ok(
    $$SELECT count(*) FROM scheduling.generate_recurring_sessions(tap.sid('weekly'), 60)$$,
    '42501', 'permission denied for function generate_recurring_sessions',
    'cron cannot run the app''s generate_recurring_sessions (42501)'
);
SELECT throws_ok(
    'SELECT * FROM scheduling_internal.advance_due_sessions()',
    '42501', 'permission denied for schema scheduling_internal',
    'cron cannot call advance_due_sessions directly (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.remove_future_occurrences(tap.sid('weekly'), 'x', 'cron', now())$$,
    '42501', 'permission denied for schema scheduling_internal',
    'cron cannot call remove_future_occurrences (42501)'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.notify_session_status('{}')$$,
    '42501', 'permission denied for schema scheduling_internal',
    'cron cannot call notify_session_status (42501)'
);
RESET ROLE;

SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.sessions_archive AS a
        INNER JOIN scheduling.people AS h ON a.host_id = h.id
        WHERE h.full_name = 'Hugo Host'
    ), 4,
    'cron''s calls took effect: the four sessions are in sessions_archive'
);

SELECT * FROM finish();
ROLLBACK;
