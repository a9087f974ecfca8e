-- Manual actions: every allowed transition, every refusal with its SQLSTATE, nothing written when refused.
BEGIN;
SELECT plan(54);

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Host', '+34600123456'));
SELECT tap.new_session(v.tag)
FROM (VALUES ('s1'), ('s2'), ('s3'), ('s4'), ('s5'), ('s6'), ('s7'), ('s8'), ('s9'), ('s10')) AS v (tag);

-- start_session
SELECT throws_ok(
    $$SELECT scheduling.complete_session(tap.sid('s1'), 'bob', '2031-05-01 10:05Z')$$,
    'SK003', NULL, 'complete_session on a scheduled session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.start_session(tap.sid('s1'), 'bob', '2031-05-01 11:00Z')$$,
    'SK008', NULL, 'start_session once the slot has ended: SK008'
);
SELECT is(
    (scheduling.start_session(tap.sid('s1'), 'bob', '2031-05-01 10:05Z')).status::text, 'in_progress',
    'start_session: scheduled -> in_progress, returns the updated row'
);
SELECT results_eq(
    $$SELECT is_delayed, started_at FROM scheduling.sessions WHERE id = tap.sid('s1')$$,
    $$VALUES (FALSE, '2031-05-01 10:05Z'::timestamptz)$$,
    'start_session: not delayed, started_at = p_now'
);
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, reason::text, actor, happened_at
    FROM scheduling.session_status_history WHERE session_id = tap.sid('s1') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('scheduled', 'in_progress', 'manual', 'bob'::text, '2031-05-01 10:05Z'::timestamptz)$$,
    'start_session writes a manual history row with actor and p_now'
);
SELECT throws_ok(
    $$SELECT scheduling.start_session(tap.sid('s1'), 'bob', '2031-05-01 10:06Z')$$,
    'SK003', NULL, 'start_session on an in_progress session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('s1'), '2031-06-01 10:00Z', '2031-06-01 11:00Z',
        'bob', '2031-05-01 10:06Z')$$,
    'SK003', NULL, 'reschedule_session on an in_progress session: SK003'
);

-- complete_session
SELECT is(
    (scheduling.complete_session(tap.sid('s1'), 'bob', '2031-05-01 10:50Z')).status::text, 'completed',
    'complete_session: in_progress -> completed'
);
SELECT is(
    (
        SELECT completed_at FROM scheduling.sessions
        WHERE id = tap.sid('s1')
    ), '2031-05-01 10:50Z'::timestamptz,
    'complete_session: completed_at = p_now'
);
SELECT throws_ok(
    $$SELECT scheduling.complete_session(tap.sid('s1'), 'bob', '2031-05-01 10:51Z')$$,
    'SK003', NULL, 'complete_session on a completed session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.cancel_session(tap.sid('s1'), 'late', 'bob', '2031-05-01 10:51Z')$$,
    'SK003', NULL, 'cancel_session on a completed session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.mark_no_show(tap.sid('s1'), 'bob', '2031-05-01 10:51Z')$$,
    'SK003', NULL, 'mark_no_show on a completed session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('s1'), '2031-06-01 10:00Z', '2031-06-01 11:00Z',
        'bob', '2031-05-01 10:51Z')$$,
    'SK003', NULL, 'reschedule_session on a completed session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.start_session(tap.sid('s1'), 'bob', '2031-05-01 10:51Z')$$,
    'SK003',
    format('cannot start session %s: it is completed', tap.sid('s1')),
    'the SK003 message names the action, the session and its status'
);

-- cancel_session
SELECT results_eq(
    $$SELECT status::text, cancel_reason, cancelled_at
    FROM scheduling.cancel_session(tap.sid('s2'), 'host ill', 'carol', '2031-05-01 09:00Z')$$,
    $$VALUES ('cancelled', 'host ill'::text, '2031-05-01 09:00Z'::timestamptz)$$,
    'cancel_session: scheduled -> cancelled, stores reason and cancelled_at'
);
SELECT throws_ok(
    $$SELECT scheduling.cancel_session(tap.sid('s2'), 'again', 'carol', '2031-05-01 09:01Z')$$,
    'SK003', NULL, 'cancel_session on a cancelled session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.start_session(tap.sid('s2'), 'carol', '2031-05-01 09:01Z')$$,
    'SK003', NULL, 'start_session on a cancelled session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.mark_no_show(tap.sid('s2'), 'carol', '2031-05-01 10:30Z')$$,
    'SK003', NULL, 'mark_no_show on a cancelled session: SK003'
);
SELECT lives_ok(
    $$SELECT scheduling.start_session(tap.sid('s3'), 'carol', '2031-05-01 10:00Z')$$,
    'setup: s3 started'
);
SELECT is(
    (scheduling.cancel_session(tap.sid('s3'), NULL, 'carol', '2031-05-01 10:10Z')).status::text, 'cancelled',
    'cancel_session: in_progress -> cancelled'
);
SELECT is(
    (
        SELECT detail FROM scheduling.session_status_history
        WHERE session_id = tap.sid('s2')
        ORDER BY id DESC
        LIMIT 1
    ),
    'cancelled: host ill',
    'the cancellation reason is in the history detail'
);

-- mark_no_show
SELECT throws_ok(
    $$SELECT scheduling.mark_no_show(tap.sid('s4'), 'dan', '2031-05-01 09:59Z')$$,
    'SK008', NULL, 'mark_no_show before starts_at: SK008'
);
SELECT is(
    (scheduling.mark_no_show(tap.sid('s4'), 'dan', '2031-05-01 10:15Z')).status::text, 'no_show',
    'mark_no_show: scheduled -> no_show after starts_at'
);
SELECT lives_ok(
    $$SELECT scheduling.start_session(tap.sid('s5'), 'dan', '2031-05-01 10:00Z')$$,
    'setup: s5 started'
);
SELECT is(
    (scheduling.mark_no_show(tap.sid('s5'), 'dan', '2031-05-01 10:15Z')).status::text, 'no_show',
    'mark_no_show: in_progress -> no_show'
);
SELECT throws_ok(
    $$SELECT scheduling.mark_no_show(tap.sid('s5'), 'dan', '2031-05-01 10:16Z')$$,
    'SK003', NULL, 'mark_no_show on a no_show session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.complete_session(tap.sid('s5'), 'dan', '2031-05-01 10:16Z')$$,
    'SK003', NULL, 'complete_session on a no_show session: SK003'
);

-- reschedule_session
SELECT results_eq(
    $$SELECT status::text, starts_at, ends_at, slot_version
    FROM scheduling.reschedule_session(tap.sid('s6'), '2031-05-02 10:00Z', '2031-05-02 11:00Z', 'erin',
        '2031-04-20 00:00Z')$$,
    $$VALUES ('scheduled', '2031-05-02 10:00Z'::timestamptz, '2031-05-02 11:00Z'::timestamptz, 2)$$,
    'reschedule_session: scheduled stays scheduled in the new slot with slot_version + 1'
);
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, reason::text, slot_version, detail LIKE 'rescheduled from %'
    FROM scheduling.session_status_history WHERE session_id = tap.sid('s6') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('scheduled', 'scheduled', 'manual', 2, TRUE)$$,
    'reschedule_session writes a history row even when the status stays scheduled, naming the slots'
);
SELECT results_eq(
    $$SELECT status::text, cancelled_at, cancel_reason, slot_version
    FROM scheduling.reschedule_session(tap.sid('s2'), '2031-05-03 10:00Z', '2031-05-03 11:00Z', 'erin',
        '2031-05-01 12:00Z')$$,
    $$VALUES ('scheduled', NULL::timestamptz, NULL::text, 2)$$,
    'reschedule_session reopens a cancelled session and clears the cancellation'
);
SELECT results_eq(
    $$SELECT status::text, is_delayed, started_at
    FROM scheduling.reschedule_session(tap.sid('s5'), '2031-05-03 10:00Z', '2031-05-03 11:00Z', 'erin',
        '2031-05-01 12:00Z')$$,
    $$VALUES ('scheduled', FALSE, NULL::timestamptz)$$,
    'reschedule_session reopens a no_show session, not delayed, started_at cleared'
);
SELECT throws_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('s7'), '2031-05-03 11:00Z', '2031-05-03 10:00Z', 'erin',
        '2031-05-01 12:00Z')$$,
    'SK004', NULL, 'reschedule_session with the new end before the new start: SK004'
);
SELECT throws_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('s7'), '2031-04-03 10:00Z', '2031-04-03 11:00Z', 'erin',
        '2031-05-01 12:00Z')$$,
    'SK008', NULL, 'reschedule_session into a slot that already ended: SK008'
);

-- unknown session: SK001 from every action
SELECT throws_ok(
    $$SELECT scheduling.start_session(gen_random_uuid())$$, 'SK001', NULL, 'start_session on an unknown id: SK001'
);
SELECT throws_ok(
    $$SELECT scheduling.complete_session(gen_random_uuid())$$, 'SK001', NULL,
    'complete_session on an unknown id: SK001'
);
SELECT throws_ok(
    $$SELECT scheduling.cancel_session(gen_random_uuid(), 'x')$$, 'SK001', NULL,
    'cancel_session on an unknown id: SK001'
);
SELECT throws_ok(
    $$SELECT scheduling.mark_no_show(gen_random_uuid())$$, 'SK001', NULL, 'mark_no_show on an unknown id: SK001'
);
SELECT throws_ok(
    $$SELECT scheduling.reschedule_session(gen_random_uuid(), '2031-06-01 10:00Z', '2031-06-01 11:00Z')$$,
    'SK001', NULL, 'reschedule_session on an unknown id: SK001'
);
SELECT throws_ok(
    $$SELECT scheduling.delete_session(gen_random_uuid(), 'x')$$, 'SK001', NULL,
    'delete_session on an unknown id: SK001'
);

-- delete_session and SK002
SELECT results_eq(
    $$SELECT status::text, deleted_from_status::text, deleted_at, deleted_reason
    FROM scheduling.delete_session(tap.sid('s8'), 'duplicate', 'frank', '2031-04-15 00:00Z')$$,
    $$VALUES ('deleted', 'scheduled', '2031-04-15 00:00Z'::timestamptz, 'duplicate'::text)$$,
    'delete_session soft-deletes: status deleted, the status it had, deleted_at = p_now, reason kept'
);
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, action, detail, actor
    FROM scheduling.session_status_history WHERE session_id = tap.sid('s8') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('scheduled', 'deleted', 'deleted', 'deleted: duplicate'::text, 'frank'::text)$$,
    'delete_session writes a history row scheduled -> deleted'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.sessions
        WHERE id = tap.sid('s8') AND status = 'scheduled'
    ),
    0,
    'a deleted session is not counted by WHERE status = ''scheduled'''
);
SELECT throws_ok(
    $$UPDATE scheduling.sessions SET deleted_at = '2031-04-15 00:00Z'
    WHERE id = tap.sid('s1')$$,
    '23514', NULL,
    'a direct UPDATE setting deleted_at without the status deleted violates sessions_deleted_has_deleted_at'
);
SELECT throws_ok(
    $$SELECT scheduling.start_session(tap.sid('s8'))$$, 'SK002', NULL, 'start_session on a deleted session: SK002'
);
SELECT throws_ok(
    $$SELECT scheduling.complete_session(tap.sid('s8'))$$, 'SK002', NULL,
    'complete_session on a deleted session: SK002'
);
SELECT throws_ok(
    $$SELECT scheduling.cancel_session(tap.sid('s8'), 'x')$$, 'SK002', NULL,
    'cancel_session on a deleted session: SK002'
);
SELECT throws_ok(
    $$SELECT scheduling.mark_no_show(tap.sid('s8'))$$, 'SK002', NULL, 'mark_no_show on a deleted session: SK002'
);
SELECT throws_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('s8'), '2031-06-01 10:00Z', '2031-06-01 11:00Z')$$,
    'SK002', NULL, 'reschedule_session on a deleted session: SK002'
);
SELECT throws_ok(
    $$SELECT scheduling.delete_session(tap.sid('s8'), 'again')$$, 'SK002', NULL,
    'delete_session on a deleted session: SK002'
);
SELECT throws_ok(
    $$UPDATE scheduling.sessions SET title = 'renamed' WHERE id = tap.sid('s8')$$, 'SK002', NULL,
    'a direct UPDATE of a deleted session: SK002'
);
SELECT is(
    (scheduling.delete_session(tap.sid('s1'), NULL, 'frank', '2031-05-02 00:00Z')).deleted_at,
    '2031-05-02 00:00Z'::timestamptz,
    'delete_session works from any status (completed)'
);

-- direct status changes follow the lifecycle; refused actions write nothing
SELECT throws_ok(
    $$UPDATE scheduling.sessions SET status = 'in_progress' WHERE id = tap.sid('s4')$$, 'SK003', NULL,
    'a direct UPDATE no_show -> in_progress is checked against the lifecycle: SK003'
);
CREATE TEMP TABLE t_before AS
SELECT
    tap.history_count() AS n,
    (
        SELECT count(*) FROM scheduling.sessions
        WHERE status = 'completed'
    ) AS c;
SELECT throws_ok(
    $$SELECT scheduling.complete_session(tap.sid('s9'), 'x', '2031-05-01 10:30Z')$$,
    'SK003', NULL, 'setup: refused completion'
);
SELECT results_eq(
    $$SELECT tap.history_count(), (SELECT count(*) FROM scheduling.sessions WHERE status = 'completed')$$,
    $$SELECT n, c FROM t_before$$,
    'a refused action wrote no history and changed no session'
);

SELECT * FROM finish();
ROLLBACK;
