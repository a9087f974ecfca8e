-- tick() in host_started mode: delayed start, no auto-completion of delayed sessions, manual start, late start.
BEGIN;
SELECT plan(23);

CREATE FUNCTION pg_temp.state(p_tag text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT s.status || CASE WHEN s.is_delayed THEN '+delayed' ELSE '' END
    FROM scheduling.sessions AS s WHERE s.id = tap.sid(p_tag)
$$;

UPDATE scheduling.tick_state SET last_tick_at = NULL;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Mentor', '+5511987654321', 'America/Sao_Paulo'));
INSERT INTO tap.ids VALUES
(
    'late', scheduling.create_session(
        tap.free_host('2031-04-01 10:00Z', '2031-04-01 11:00Z'),
        'Nobody starts it',
        '2031-04-01 10:00Z',
        '2031-04-01 11:00Z',
        p_start_mode => 'host_started'
    )
),
(
    'ontime', scheduling.create_session(
        tap.free_host('2031-04-01 10:00Z', '2031-04-01 11:00Z'),
        'Started by hand',
        '2031-04-01 10:00Z',
        '2031-04-01 11:00Z',
        p_start_mode => 'host_started'
    )
),
(
    'missed', scheduling.create_session(
        tap.free_host('2031-04-01 08:00Z', '2031-04-01 08:30Z'),
        'Whole slot missed',
        '2031-04-01 08:00Z',
        '2031-04-01 08:30Z',
        p_start_mode => 'host_started'
    )
);

SELECT tap.tick('t0', '2031-04-01 09:00Z');
SELECT is(
    tap.outcome('t0') - 'updates',
    '{"started": 0, "delayed": 1, "completed": 0, "skipped": 0, "failed": 0, "truncated": false, "total": 1}',
    'a host_started session whose whole slot passed is only delayed, not completed'
);
SELECT is(pg_temp.state('missed'), 'in_progress+delayed', 'it is in_progress and delayed');
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, is_delayed, reason::text
    FROM scheduling.session_status_history WHERE session_id = tap.sid('missed') AND from_status IS NOT NULL$$,
    $$VALUES ('scheduled', 'in_progress', TRUE, 'automatic')$$,
    'one history row scheduled -> in_progress with is_delayed'
);

SELECT lives_ok(
    $$SELECT scheduling.start_session(tap.sid('ontime'), 'mentor', '2031-04-01 09:58Z')$$,
    'the host starts a session by hand two minutes early'
);
SELECT results_eq(
    $$SELECT status, is_delayed, started_at FROM scheduling.sessions WHERE id = tap.sid('ontime')$$,
    $$VALUES ('in_progress'::scheduling.session_status, FALSE, '2031-04-01 09:58Z'::timestamptz)$$,
    'a manual start is not delayed and started_at is p_now'
);

SELECT tap.tick('t1', '2031-04-01 10:00Z');
SELECT is(
    tap.outcome('t1') - 'updates',
    '{"started": 0, "delayed": 1, "completed": 0, "skipped": 0, "failed": 0, "truncated": false, "total": 1}',
    'at starts_at only the session nobody started moves, as delayed'
);
SELECT is(
    tap.outcome('t1') -> 'updates' -> 0,
    jsonb_build_object('id', tap.sid('late'), 'from', 'scheduled', 'to', 'in_progress', 'is_delayed', TRUE),
    'its update says is_delayed true'
);
SELECT results_eq(
    $$SELECT started_at, delayed_since FROM scheduling.sessions WHERE id = tap.sid('late')$$,
    $$VALUES (NULL::timestamptz, '2031-04-01 10:00Z'::timestamptz)$$,
    'a delayed session was not started by anybody: started_at stays NULL, delayed_since = starts_at'
);

SELECT tap.tick('t2', '2031-04-01 11:00Z');
SELECT is(
    tap.outcome('t2') - 'updates',
    '{"started": 0, "delayed": 0, "completed": 1, "skipped": 0, "failed": 0, "truncated": false, "total": 1}',
    'at ends_at only the manually started session completes'
);
SELECT is(pg_temp.state('ontime'), 'completed', 'the manually started session auto-completed');
SELECT is(pg_temp.state('late'), 'in_progress+delayed', 'the delayed session stays in_progress after ends_at');

SELECT tap.tick('t3', '2031-04-02 11:00Z');
SELECT is((tap.outcome('t3') ->> 'total')::integer, 0, 'a day later the delayed sessions still wait');
SELECT is(pg_temp.state('missed'), 'in_progress+delayed', 'the missed session still waits for a manual completion');

SELECT lives_ok(
    $$SELECT scheduling.complete_session(tap.sid('late'), 'mentor', '2031-04-02 12:00Z')$$,
    'the host completes the delayed session by hand'
);
SELECT results_eq(
    $$SELECT status, is_delayed, completed_at FROM scheduling.sessions WHERE id = tap.sid('late')$$,
    $$VALUES ('completed'::scheduling.session_status, TRUE, '2031-04-02 12:00Z'::timestamptz)$$,
    'completed by hand at p_now; is_delayed kept as a record'
);
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, is_delayed, reason::text, actor
    FROM scheduling.session_status_history WHERE session_id = tap.sid('late') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('in_progress', 'completed', TRUE, 'manual', 'mentor'::text)$$,
    'the manual completion is in history with reason manual and the actor'
);

-- A late start: the host starts a delayed session after all; it then completes by itself at ends_at.
INSERT INTO tap.ids VALUES (
    'latestart', scheduling.create_session(
        tap.free_host('2031-04-03 10:00Z', '2031-04-03 11:00Z'),
        'Started late',
        '2031-04-03 10:00Z',
        '2031-04-03 11:00Z',
        p_start_mode => 'host_started', p_now => '2031-04-02 12:00Z'
    )
);
SELECT tap.tick('t4', '2031-04-03 10:05Z');
SELECT is(pg_temp.state('latestart'), 'in_progress+delayed', 'setup: nobody started it by starts_at');
SELECT lives_ok(
    $$SELECT scheduling.start_session(tap.sid('latestart'), 'mentor', '2031-04-03 10:20Z')$$,
    'the host starts the delayed session late'
);
SELECT results_eq(
    $$SELECT status::text, is_delayed, started_at, delayed_since
    FROM scheduling.sessions WHERE id = tap.sid('latestart')$$,
    $$VALUES ('in_progress', FALSE, '2031-04-03 10:20Z'::timestamptz, '2031-04-03 10:00Z'::timestamptz)$$,
    'a late start: started_at = p_now, no longer delayed, delayed_since kept as a record'
);
SELECT results_eq(
    $$SELECT
        from_status::text, to_status::text, is_delayed, action, detail LIKE 'started by hand, late (delayed since %'
    FROM scheduling.session_status_history WHERE session_id = tap.sid('latestart') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('in_progress', 'in_progress', FALSE, 'started', TRUE)$$,
    'the late start is in history as started'
);
SELECT throws_ok(
    $$SELECT scheduling.start_session(tap.sid('latestart'), 'mentor', '2031-04-03 10:21Z')$$,
    'SK003', NULL, 'a session started late cannot be started again: SK003'
);
SELECT tap.tick('t5', '2031-04-03 11:00Z');
SELECT is(pg_temp.state('latestart'), 'completed', 'the session started late completes by itself at ends_at');
SELECT throws_ok(
    $$SELECT scheduling.start_session(tap.sid('missed'), 'mentor', '2031-04-03 11:00Z')$$,
    'SK008', NULL, 'a delayed session whose slot ended cannot be started late: SK008'
);

SELECT * FROM finish();
ROLLBACK;
