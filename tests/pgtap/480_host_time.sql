-- A host is in one session at a time: every path that creates or moves a session refuses an overlap with SK059
-- naming the other session (create_session, create_appointment, add_workshop_session, reschedule_session,
-- reschedule_booking, reopening, a direct write); back-to-back sessions are fine, an overlap of one second is not;
-- cancelled, no-show and deleted sessions free their time; generation and cloning skip a busy occurrence, log it and
-- create the rest; the exclusion constraint holds when the trigger is out of the way.
BEGIN;
SELECT plan(40);

INSERT INTO tap.ids VALUES
('amira', scheduling.create_person('Amira', NULL, 'Europe/Berlin')),
('other_host', scheduling.create_person('Omar', NULL, 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112340001', 'Europe/Berlin', TRUE)),
('bob', scheduling.create_person('Bob', '+4915112340002', 'Europe/Berlin', TRUE));

-- Tuesday 6 May 2031, 10:00-11:00 in Berlin (08:00-09:00Z).
INSERT INTO tap.ids VALUES (
    'ten', scheduling.create_session(
        tap.sid('amira'), 'Mentoring', '2031-05-06 08:00Z', '2031-05-06 09:00Z', p_now => '2031-04-01 00:00Z'
    )
);

-- 1. create_session
SELECT throws_ok(
    $$SELECT scheduling.create_session(
        tap.sid('amira'), 'Clash', '2031-05-06 08:30Z', '2031-05-06 09:30Z', p_now => '2031-04-01 00:00Z')$$,
    'SK059', NULL,
    'create_session: an overlapping session of the same host is refused with SK059'
);
SELECT throws_like(
    $$SELECT scheduling.create_session(
        tap.sid('amira'), 'Clash', '2031-05-06 08:30Z', '2031-05-06 09:30Z', p_now => '2031-04-01 00:00Z')$$,
    '%Amira (host %) is busy from Tuesday 6 May 2031, 10:30 (Europe/Berlin) to Tuesday 6 May 2031, 11:30 '
    || '(Europe/Berlin): session ' || tap.sid('ten') || ' (Mentoring, scheduled) runs from Tuesday 6 May 2031, '
    || '10:00 (Europe/Berlin) to Tuesday 6 May 2031, 11:00 (Europe/Berlin)',
    'the error names the host, both times in local time and the session that holds the time'
);
CREATE FUNCTION pg_temp.error_detail(p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_detail text;
BEGIN
    EXECUTE p_sql;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
    RETURN v_detail;
END;
$$;
SELECT is(
    pg_temp.error_detail($$SELECT scheduling.create_session(
        tap.sid('amira'), 'Clash', '2031-05-06 07:00Z', '2031-05-06 10:00Z', p_now => '2031-04-01 00:00Z')$$),
    'busy_session_id=' || tap.sid('ten'),
    'DETAIL carries the id of the session that holds the time, for programs'
);
SELECT throws_ok(
    $$SELECT scheduling.create_session(
        tap.sid('amira'), 'One second', '2031-05-06 07:00Z', '2031-05-06 08:00:01Z', p_now => '2031-04-01 00:00Z')$$,
    'SK059', NULL,
    'a session overlapping the other by one second is refused'
);
INSERT INTO tap.ids VALUES
(
    'before', scheduling.create_session(
        tap.sid('amira'), 'Before', '2031-05-06 07:00Z', '2031-05-06 08:00Z', p_now => '2031-04-01 00:00Z'
    )
),
(
    'after', scheduling.create_session(
        tap.sid('amira'), 'After', '2031-05-06 09:00Z', '2031-05-06 09:30Z', p_now => '2031-04-01 00:00Z'
    )
);
SELECT is(
    (
        SELECT count(*)::integer
        FROM scheduling.sessions
        WHERE host_id = tap.sid('amira')
    ), 3,
    'sessions that end exactly when the other starts, or start exactly when it ends, are fine'
);
SELECT lives_ok(
    $$SELECT scheduling.create_session(
        tap.sid('other_host'), 'Same time, other host', '2031-05-06 08:00Z', '2031-05-06 09:00Z',
        p_now => '2031-04-01 00:00Z')$$,
    'another host may have a session at the same time'
);

-- 2. create_appointment: nothing of it is left behind
CREATE TEMP TABLE t_before AS SELECT tap.written() AS digest;
SELECT throws_ok(
    $$SELECT scheduling.create_appointment(
        tap.sid('amira'), tap.sid('ann'), 'Haircut', '2031-05-06 08:45Z', '2031-05-06 09:15Z', NULL, 'app',
        '2031-04-01 00:00Z')$$,
    'SK059', NULL,
    'create_appointment into a busy time is refused with SK059'
);
SELECT is(
    tap.written(), (SELECT digest FROM t_before),
    'the refused appointment wrote nothing: no session, booking, reminder or history row'
);

-- 3. add_workshop_session
INSERT INTO tap.ids VALUES ('pottery', scheduling.create_workshop(tap.sid('amira'), 'Pottery', 4, 'Europe/Berlin'));
INSERT INTO tap.ids VALUES ('may', scheduling.create_workshop_run(tap.sid('pottery'), 'May', '2031-05-06'));
SELECT throws_ok(
    $$SELECT scheduling.add_workshop_session(
        tap.sid('may'), 1, '2031-05-06 06:00Z', '2031-05-06 10:00Z', p_now => '2031-04-01 00:00Z')$$,
    'SK059', NULL,
    'add_workshop_session into a busy time is refused with SK059'
);

-- 4. reschedule_session and reschedule_booking
INSERT INTO tap.ids VALUES (
    'cut', scheduling.create_appointment(
        tap.sid('amira'), tap.sid('ann'), 'Haircut', '2031-05-07 08:00Z', '2031-05-07 08:30Z', NULL, 'app',
        '2031-04-01 00:00Z'
    )
);
DELETE FROM t_before;
INSERT INTO t_before SELECT tap.written();
SELECT throws_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('after'), '2031-05-06 08:30Z', '2031-05-06 09:30Z', 'x',
        '2031-04-01 00:00Z')$$,
    'SK059', NULL,
    'reschedule_session into a busy time is refused with SK059'
);
SELECT throws_ok(
    $$SELECT scheduling.reschedule_booking(tap.sid('cut'), '2031-05-06 08:15Z', '2031-05-06 08:45Z', 'x',
        '2031-04-01 00:00Z')$$,
    'SK059', NULL,
    'reschedule_booking of an appointment into a busy time is refused with SK059'
);
SELECT is(
    tap.written(), (SELECT digest FROM t_before),
    'the refused moves changed nothing: sessions, reminders and history as they were'
);
SELECT lives_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('after'), '2031-05-06 09:00Z', '2031-05-06 10:00Z', 'x',
        '2031-04-01 00:00Z')$$,
    'a session may be moved over its own old time (it does not conflict with itself)'
);

-- 5. cancelled, no-show and deleted sessions free their time; reopening one needs the time again
SELECT scheduling.cancel_session(tap.sid('before'), 'ill', 'x', '2031-04-01 00:00Z');
INSERT INTO tap.ids VALUES (
    'in_cancelled_time', scheduling.create_session(
        tap.sid('amira'), 'Into the cancelled time', '2031-05-06 07:00Z', '2031-05-06 08:00Z',
        p_now => '2031-04-01 00:00Z'
    )
);
SELECT isnt(tap.sid('in_cancelled_time'), NULL, 'a cancelled session frees its time');
SELECT throws_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('before'), '2031-05-06 07:30Z', '2031-05-06 08:00Z', 'x',
        '2031-04-01 00:00Z')$$,
    'SK059', NULL,
    'reopening a cancelled session into a time taken meanwhile is refused with SK059'
);
SELECT lives_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('before'), '2031-05-06 05:00Z', '2031-05-06 06:00Z', 'x',
        '2031-04-01 00:00Z')$$,
    'reopening it into a free time works'
);
INSERT INTO tap.ids VALUES (
    'missed', scheduling.create_session(
        tap.sid('amira'), 'Missed', '2031-05-08 08:00Z', '2031-05-08 09:00Z', p_now => '2031-04-01 00:00Z'
    )
);
SELECT scheduling.mark_no_show(tap.sid('missed'), 'x', '2031-05-08 08:20Z');
SELECT lives_ok(
    $$SELECT scheduling.create_session(
        tap.sid('amira'), 'After the no-show', '2031-05-08 08:30Z', '2031-05-08 09:00Z', p_now => '2031-05-08 08:20Z')$$,
    'a no-show session frees its time'
);
INSERT INTO tap.ids VALUES (
    'dup', scheduling.create_session(
        tap.sid('amira'), 'Duplicate', '2031-05-09 08:00Z', '2031-05-09 09:00Z', p_now => '2031-04-01 00:00Z'
    )
);
SELECT scheduling.delete_session(tap.sid('dup'), 'typo', 'x', '2031-04-01 00:00Z');
SELECT lives_ok(
    $$SELECT scheduling.create_session(
        tap.sid('amira'), 'Instead of the duplicate', '2031-05-09 08:00Z', '2031-05-09 09:00Z',
        p_now => '2031-04-01 00:00Z')$$,
    'a deleted session frees its time'
);

-- 6. lifecycle steps keep the time; a completed session still holds it
SELECT scheduling.tick('2031-05-06 08:00Z');
SELECT is(tap.status('ten'), 'in_progress', 'tick starts the session: a step that keeps the time passes');
SELECT scheduling.complete_session(tap.sid('ten'), 'x', '2031-05-06 08:40Z');
SELECT is(tap.status('ten'), 'completed', 'completing it early passes too');
SELECT throws_ok(
    $$SELECT scheduling.create_session(
        tap.sid('amira'), 'In the completed time', '2031-05-06 08:45Z', '2031-05-06 08:55Z',
        p_now => '2031-05-06 08:41Z')$$,
    'SK059', NULL,
    'a completed session still holds its time'
);

-- 7. direct writes meet the same rule
SELECT throws_ok(
    $$INSERT INTO scheduling.sessions (host_id, title, starts_at, ends_at)
      VALUES (tap.sid('amira'), 'Direct', '2031-05-07 08:10Z', '2031-05-07 08:20Z')$$,
    'SK059', NULL,
    'a direct INSERT into a busy time is refused with SK059'
);
SELECT throws_ok(
    $$UPDATE scheduling.sessions SET host_id = tap.sid('amira')
      WHERE host_id = tap.sid('other_host') AND title = 'Same time, other host'$$,
    'SK059', NULL,
    'giving a session a host who is busy then is refused with SK059'
);

-- 8. the constraint is the backstop when the trigger is not there (as for a writer in repeatable read)
CREATE FUNCTION pg_temp.outcome_without_host_trigger(p_sql text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
BEGIN
    ALTER TABLE scheduling.sessions DISABLE TRIGGER sessions_validate_host_time;
    EXECUTE p_sql;
    RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'written'; -- undo the write and the ALTER
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE;
    RETURN CASE WHEN SQLERRM = 'written' THEN 'written' ELSE v_state END;
END;
$$;
SELECT is(
    pg_temp.outcome_without_host_trigger(
        $$INSERT INTO scheduling.sessions (host_id, title, starts_at, ends_at, time_zone)
          VALUES (tap.sid('amira'), 'Direct', '2031-05-07 08:10Z', '2031-05-07 08:20Z', 'UTC')$$
    ),
    '23P01',
    'without the trigger the exclusion constraint refuses the overlap (23P01)'
);
SELECT is(
    pg_temp.outcome_without_host_trigger(
        $$INSERT INTO scheduling.sessions (host_id, title, starts_at, ends_at, time_zone, status, cancelled_at)
          VALUES (tap.sid('amira'), 'Cancelled twin', '2031-05-07 08:10Z', '2031-05-07 08:20Z', 'UTC', 'cancelled',
          '2031-04-01 00:00Z')$$
    ),
    'written',
    'the constraint ignores cancelled sessions'
);
SELECT is(
    (
        SELECT t.tgenabled::text FROM pg_trigger AS t
        WHERE t.tgname = 'sessions_validate_host_time'
    ),
    'O',
    'the trigger is enabled again'
);
SELECT is(
    (
        SELECT pg_get_constraintdef(c.oid)
        FROM pg_constraint AS c
        WHERE c.conname = 'sessions_host_time_never_overlaps'
    ),
    'EXCLUDE USING gist (host_id WITH =, tstzrange(starts_at, ends_at, ''[)''::text) WITH &&) WHERE ((status = ANY '
    || '(ARRAY[''scheduled''::scheduling.session_status, ''in_progress''::scheduling.session_status, '
    || '''completed''::scheduling.session_status])))',
    'the constraint: host and [starts_at, ends_at) over scheduled, in progress and completed sessions'
);

-- 9. generation skips a busy occurrence, logs it, and creates the rest
-- Weekly on Mondays 18:00-19:00 Berlin from 2031-06-02; Monday 9 June 18:30 is taken by a one-off session.
INSERT INTO tap.ids VALUES (
    'busy_monday', scheduling.create_session(
        tap.sid('amira'), 'One-off talk', '2031-06-09 16:30Z', '2031-06-09 17:30Z', p_now => '2031-05-20 00:00Z'
    )
);
INSERT INTO tap.ids VALUES (
    'weekly', scheduling.create_template(
        tap.sid('amira'), 'Weekly class', 'FREQ=WEEKLY;COUNT=3', '2031-06-02', '18:00', '1 hour', 'Europe/Berlin',
        p_now => '2031-05-20 00:00Z'
    )
);
CREATE TEMP TABLE t_generated AS
SELECT * FROM scheduling.generate_recurring_sessions(tap.sid('weekly'), 60, '2031-05-20 00:00Z');
SELECT results_eq(
    $$SELECT occurrence_date FROM t_generated ORDER BY 1$$,
    $$VALUES ('2031-06-02'::date), ('2031-06-16'::date)$$,
    'generation creates the free occurrences and skips the busy one'
);
SELECT results_eq(
    $$SELECT occurrence_date, detail LIKE 'Amira (host %) is busy from Monday 9 June 2031, 18:00 (Europe/Berlin) to '
        || 'Monday 9 June 2031, 19:00 (Europe/Berlin): session ' || tap.sid('busy_monday') || ' (One-off talk, %'
      FROM scheduling.recurring_session_logs
      WHERE template_id = tap.sid('weekly') AND action = 'host_busy'$$,
    $$VALUES ('2031-06-09'::date, TRUE)$$,
    'the skipped occurrence is logged as host_busy, naming the session that holds the time'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.generate_recurring_sessions(tap.sid('weekly'), 60, '2031-05-21 00:00Z')),
    0,
    'a second run creates nothing more'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.recurring_session_logs
        WHERE template_id = tap.sid('weekly') AND action = 'host_busy'
    ),
    1,
    'and does not log the busy occurrence again'
);
SELECT is(
    (
        SELECT action FROM scheduling.recurring_generation_log
        WHERE template_id = tap.sid('weekly') AND action = 'host_busy'
    ),
    'host_busy',
    'recurring_generation_log shows it'
);

-- A template whose sessions last longer than the gap between them: every other day is left out, nothing fails.
INSERT INTO tap.ids VALUES (
    'long', scheduling.create_template(
        tap.sid('other_host'), 'Long retreat', 'FREQ=DAILY;COUNT=4', '2031-07-01', '09:00', '30 hours',
        'Europe/Berlin', p_now => '2031-06-20 00:00Z'
    )
);
SELECT results_eq(
    $$SELECT occurrence_date FROM scheduling.generate_recurring_sessions(tap.sid('long'), 30, '2031-06-20 00:00Z')
      ORDER BY 1$$,
    $$VALUES ('2031-07-01'::date), ('2031-07-03'::date)$$,
    'a template that overlaps itself creates, in time order, each occurrence that does not overlap the last one created'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.recurring_session_logs
        WHERE template_id = tap.sid('long') AND action = 'host_busy' AND detail LIKE '%previous occurrence%'
    ),
    2,
    'the two it left out are logged as overlapping the previous occurrence'
);

-- generate_all_recurring_sessions: a busy occurrence is not a failure
INSERT INTO tap.ids VALUES (
    'busy_friday', scheduling.create_session(
        tap.sid('amira'), 'Friday talk', '2031-08-01 16:00Z', '2031-08-01 17:00Z', p_now => '2031-07-20 00:00Z'
    )
);
INSERT INTO tap.ids VALUES (
    'fridays', scheduling.create_template(
        tap.sid('amira'), 'Friday class', 'FREQ=WEEKLY;COUNT=2', '2031-08-01', '18:00', '1 hour', 'Europe/Berlin',
        p_now => '2031-07-20 00:00Z'
    )
);
SELECT is(
    (
        SELECT jsonb_build_object('failed', r -> 'failed')
        FROM scheduling.generate_all_recurring_sessions(30, '2031-07-20 00:00Z') AS r
    ),
    '{"failed": 0}'::jsonb,
    'generate_all_recurring_sessions reports no failure for a busy occurrence'
);
SELECT results_eq(
    $$SELECT occurrence_date, action FROM scheduling.recurring_session_logs
      WHERE template_id = tap.sid('fridays') ORDER BY occurrence_date$$,
    $$VALUES ('2031-08-01'::date, 'host_busy'), ('2031-08-08'::date, 'generated')$$,
    'the busy Friday is logged host_busy, the next one is generated'
);

-- 10. cloning a workshop skips a busy day, says so, and clones the rest
INSERT INTO tap.ids VALUES ('sep', scheduling.create_workshop_run(tap.sid('pottery'), 'September', '2031-09-01'));
SELECT
    scheduling.add_workshop_session(
        tap.sid('sep'),
        v.day,
        (v.d || ' 09:00 Europe/Berlin')::timestamptz,
        (v.d || ' 12:00 Europe/Berlin')::timestamptz,
        p_now => '2031-08-15 00:00Z'
    )
FROM (VALUES (1, '2031-09-01'), (2, '2031-09-02'), (3, '2031-09-03')) AS v (day, d);
-- The clone to 6 October would put day 2 on Tuesday 7 October 09:00-12:00, when Amira has a call at 11:00.
INSERT INTO tap.ids VALUES (
    'call', scheduling.create_session(
        tap.sid('amira'), 'Call', '2031-10-07 11:00 Europe/Berlin', '2031-10-07 11:30 Europe/Berlin',
        p_now => '2031-08-15 00:00Z'
    )
);
CREATE TEMP TABLE t_clone AS
SELECT * FROM scheduling.clone_workshop_sessions(tap.sid('pottery'), '2031-10-06', 'October', '2031-08-15 00:00Z');
SELECT results_eq(
    $$SELECT day_number FROM t_clone ORDER BY 1$$,
    $$VALUES (1), (3)$$,
    'clone_workshop_sessions creates the free days and skips the busy one'
);
SELECT results_eq(
    $$SELECT k.day_number, k.busy_session_id, k.reason LIKE 'day 2 not cloned: Amira (host %) is busy from Tuesday 7 '
        || 'October 2031, 09:00 (Europe/Berlin) to Tuesday 7 October 2031, 12:00 (Europe/Berlin): session %'
      FROM scheduling.workshop_run_skipped_days AS k
      INNER JOIN t_clone AS c ON k.run_id = c.run_id
      GROUP BY k.id$$,
    $$VALUES (2, tap.sid('call'), TRUE)$$,
    'workshop_run_skipped_days names the day, the session that holds the time and why'
);
SELECT results_eq(
    $$SELECT session_count, skipped_days FROM scheduling.workshop_run_summary
      WHERE run_id = (SELECT DISTINCT run_id FROM t_clone)$$,
    $$VALUES (2, 1)$$,
    'workshop_run_summary counts the sessions and the skipped day'
);
SELECT is(
    (
        SELECT skipped_days FROM scheduling.workshop_run_summary
        WHERE run_id = tap.sid('sep')
    ),
    0,
    'a run with nothing skipped shows 0'
);

SELECT * FROM finish();
ROLLBACK;
