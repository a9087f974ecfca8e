-- tick() in automatic mode: scheduled -> in_progress -> completed, straight-to-completed, idempotence, lock.
BEGIN;
SELECT plan(22);

UPDATE scheduling.tick_state SET last_tick_at = NULL;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Host', '+34600123456', 'Europe/Madrid'));
INSERT INTO tap.ids VALUES
('a', scheduling.create_session(tap.sid('host'), 'A', '2031-03-01 10:00Z', '2031-03-01 11:00Z')),
('past', scheduling.create_session(tap.sid('host'), 'Past', '2031-03-01 08:00Z', '2031-03-01 08:30Z'));

SELECT tap.tick('t0', '2031-03-01 07:59Z');
SELECT is(
    tap.outcome('t0') - 'updates',
    '{"started": 0, "delayed": 0, "completed": 0, "skipped": 0, "failed": 0, "truncated": false, "total": 0}',
    'a tick before any start changes nothing'
);

SELECT tap.tick('t1', '2031-03-01 09:00Z');
SELECT is(
    tap.outcome('t1') - 'updates',
    '{"started": 1, "delayed": 0, "completed": 1, "skipped": 0, "failed": 0, "truncated": false, "total": 1}',
    'a session whose whole slot passed counts as started and completed'
);
SELECT is(
    tap.outcome('t1') -> 'updates',
    jsonb_build_array(
        jsonb_build_object('id', tap.sid('past'), 'from', 'scheduled', 'to', 'completed', 'is_delayed', FALSE)
    ),
    'its update goes from scheduled straight to completed'
);
SELECT results_eq(
    $$SELECT status, started_at, completed_at FROM scheduling.sessions WHERE id = tap.sid('past')$$,
    $$VALUES ('completed'::scheduling.session_status, '2031-03-01 08:00Z'::timestamptz,
        '2031-03-01 08:30Z'::timestamptz)$$,
    'straight to completed: started_at and completed_at are the logical starts_at and ends_at'
);
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, reason::text, happened_at
    FROM scheduling.session_status_history
    WHERE session_id = tap.sid('past') AND from_status IS NOT NULL ORDER BY id$$,
    $$VALUES ('scheduled', 'in_progress', 'automatic', '2031-03-01 09:00Z'::timestamptz),
        ('in_progress', 'completed', 'automatic', '2031-03-01 09:00Z'::timestamptz)$$,
    'straight to completed writes two automatic history rows, in order, at p_now'
);
SELECT is(
    (
        SELECT status::text FROM scheduling.sessions
        WHERE id = tap.sid('a')
    ), 'scheduled',
    'a session starting later stays scheduled'
);

SELECT tap.tick('t1bis', '2031-03-01 09:00Z');
SELECT is(
    tap.outcome('t1bis'),
    '{"started": 0, "delayed": 0, "completed": 0, "skipped": 0, "failed": 0, "truncated": false, "total": 0,
    "updates": []}',
    'a second tick with the same p_now returns zeros'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.session_status_history
        WHERE session_id = tap.sid('past')
    ), 3,
    'the second tick wrote no history'
);

SELECT tap.tick('t2', '2031-03-01 10:00Z');
SELECT is(
    (tap.outcome('t2') ->> 'started')::integer, 1,
    'at starts_at exactly the automatic session starts'
);
SELECT is(
    tap.outcome('t2') -> 'updates' -> 0,
    jsonb_build_object('id', tap.sid('a'), 'from', 'scheduled', 'to', 'in_progress', 'is_delayed', FALSE),
    'the update lists id, from, to and is_delayed'
);
SELECT results_eq(
    $$SELECT status, is_delayed, started_at, completed_at FROM scheduling.sessions WHERE id = tap.sid('a')$$,
    $$VALUES ('in_progress'::scheduling.session_status, FALSE, '2031-03-01 10:00Z'::timestamptz, NULL::timestamptz)$$,
    'scheduled -> in_progress, not delayed, started_at = starts_at'
);
SELECT ok(
    EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND classid = 21323 AND objid = 1414087499 AND pid = pg_backend_pid()
    ),
    'tick holds the documented advisory lock 91583001740107 until the end of the transaction'
);

SELECT tap.tick('t3', '2031-03-01 10:59Z');
SELECT is((tap.outcome('t3') ->> 'total')::integer, 0, 'before ends_at nothing completes');

SELECT tap.tick('t4', '2031-03-01 11:00Z');
SELECT is(
    tap.outcome('t4') - 'updates',
    '{"started": 0, "delayed": 0, "completed": 1, "skipped": 0, "failed": 0, "truncated": false, "total": 1}',
    'at ends_at the in_progress session completes'
);
SELECT results_eq(
    $$SELECT status, completed_at FROM scheduling.sessions WHERE id = tap.sid('a')$$,
    $$VALUES ('completed'::scheduling.session_status, '2031-03-01 11:00Z'::timestamptz)$$,
    'in_progress -> completed, completed_at = ends_at'
);
SELECT results_eq(
    $$SELECT coalesce(from_status::text, '-'), to_status::text, reason::text
    FROM scheduling.session_status_history WHERE session_id = tap.sid('a') ORDER BY id$$,
    $$VALUES ('-', 'scheduled', 'manual'), ('scheduled', 'in_progress', 'automatic'),
        ('in_progress', 'completed', 'automatic')$$,
    'the automatic session has a full history: created, started, completed'
);
SELECT is(
    (SELECT last_tick_at FROM scheduling.tick_state), '2031-03-01 11:00Z'::timestamptz,
    'tick_state.last_tick_at is the last p_now'
);
SELECT is(
    (SELECT last_result ->> 'completed' FROM scheduling.tick_state), '1',
    'tick_state.last_result keeps the last outcome'
);

SELECT tap.tick('t5', '2031-03-01 10:00Z');
SELECT is((tap.outcome('t5') ->> 'total')::integer, 0, 'a tick back in time changes nothing');
SELECT is(
    (SELECT last_tick_at FROM scheduling.tick_state), '2031-03-01 11:00Z'::timestamptz,
    'a tick back in time does not move the watermark back'
);

SELECT throws_ok(
    $$SELECT scheduling.tick(NULL)$$,
    'SK009', NULL, 'tick refuses a NULL p_now: SK009'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.session_status_history
        WHERE reason <> 'manual'
    ), 4,
    'in all, four automatic history rows were written'
);

SELECT * FROM finish();
ROLLBACK;
