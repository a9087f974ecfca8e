-- Races with tick(): reschedule, soft delete, cancel and no-show before a due step; skipped traces.
BEGIN;
SET LOCAL timezone = 'UTC';
SELECT plan(19);

CREATE FUNCTION pg_temp.skips(p_tag text) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM scheduling.session_status_history AS h
    WHERE h.session_id = tap.sid(p_tag) AND h.reason = 'skipped'
$$;

UPDATE scheduling.tick_state SET last_tick_at = NULL;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Host', '+34600123456'));
INSERT INTO tap.ids
SELECT
    v.tag,
    scheduling.create_session(tap.free_host(v.starts_at, v.ends_at), v.tag, v.starts_at, v.ends_at) AS id
FROM (
    VALUES
    ('early', '2031-06-01 07:00Z'::timestamptz, '2031-06-01 07:30Z'::timestamptz),
    ('moved', '2031-06-01 10:00Z', '2031-06-01 11:00Z'),
    ('deleted', '2031-06-01 10:00Z', '2031-06-01 11:00Z'),
    ('cancelled', '2031-06-01 10:00Z', '2031-06-01 11:00Z'),
    ('noshow', '2031-06-01 10:00Z', '2031-06-01 11:00Z')
) AS v (tag, starts_at, ends_at);

-- First tick: no watermark yet, so no skipped traces even for a session cancelled before it.
SELECT lives_ok(
    $$SELECT scheduling.cancel_session(tap.sid('early'), 'test', 'x', '2031-06-01 06:00Z')$$,
    'setup: early session cancelled'
);
SELECT tap.tick('t0', '2031-06-01 09:00Z');
SELECT is((tap.outcome('t0') ->> 'skipped')::integer, 0, 'the first tick writes no skipped traces');

-- Between 09:00 and 10:00: reschedule one, delete one, cancel one.
SELECT lives_ok(
    $$SELECT scheduling.reschedule_session(tap.sid('moved'), '2031-06-01 14:00Z', '2031-06-01 15:00Z', 'x',
        '2031-06-01 09:30Z')$$,
    'setup: one session rescheduled to 14:00'
);
SELECT lives_ok(
    $$SELECT scheduling.delete_session(tap.sid('deleted'), 'test', 'x', '2031-06-01 09:30Z')$$,
    'setup: one session soft-deleted before its start'
);
SELECT lives_ok(
    $$SELECT scheduling.cancel_session(tap.sid('cancelled'), 'test', 'x', '2031-06-01 09:30Z')$$,
    'setup: one session cancelled before its start'
);

SELECT tap.tick('t1', '2031-06-01 10:00Z');
SELECT is(
    tap.outcome('t1') - 'updates',
    '{"started": 1, "delayed": 0, "completed": 0, "skipped": 2, "failed": 0, "truncated": false, "total": 1}',
    'at the old slot start only the untouched session starts; deleted and cancelled ones are skipped'
);
SELECT is(tap.status('moved'), 'scheduled', 'the rescheduled session is not started at its old slot time');
SELECT is(tap.status('deleted'), 'deleted', 'the deleted session is not started: it stays deleted');
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, action, detail LIKE 'start due at % skipped: session was deleted at %'
    FROM scheduling.session_status_history WHERE session_id = tap.sid('deleted') AND reason = 'skipped'$$,
    $$VALUES ('deleted', 'deleted', 'skipped', TRUE)$$,
    'the deleted session has a skipped trace saying why (its status, deleted, unchanged)'
);
SELECT is(
    (
        SELECT detail
        FROM scheduling.session_status_history
        WHERE
            session_id = tap.sid('cancelled')
            AND reason = 'skipped'
    ),
    'start due at 2031-06-01 10:00:00+00 skipped: session is cancelled',
    'the cancelled session has a skipped trace saying why'
);

SELECT tap.tick('t1bis', '2031-06-01 10:00Z');
SELECT is((tap.outcome('t1bis') ->> 'skipped')::integer, 0, 'a second tick at the same time writes no new trace');

SELECT lives_ok(
    $$SELECT scheduling.mark_no_show(tap.sid('noshow'), 'x', '2031-06-01 10:20Z')$$,
    'setup: the started session is marked no-show'
);

SELECT tap.tick('t2', '2031-06-01 11:00Z');
SELECT is(
    tap.outcome('t2') - 'updates',
    '{"started": 0, "delayed": 0, "completed": 0, "skipped": 1, "failed": 0, "truncated": false, "total": 0}',
    'at the old slot end nothing completes; only the no-show session gets a skipped trace'
);
SELECT is(
    (
        SELECT detail
        FROM scheduling.session_status_history
        WHERE
            session_id = tap.sid('noshow')
            AND reason = 'skipped'
    ),
    'completion due at 2031-06-01 11:00:00+00 skipped: session is no_show',
    'the no-show trace names the completion step'
);
SELECT is(
    pg_temp.skips('deleted') + pg_temp.skips('cancelled'), 2,
    'deleted and cancelled sessions got one trace each, not another at ends_at'
);
SELECT is(tap.status('moved'), 'scheduled', 'the rescheduled session is still scheduled at its old end time');
SELECT is(pg_temp.skips('moved'), 0, 'the rescheduled session gets no skipped trace for its old slot');

SELECT tap.tick('t3', '2031-06-01 14:00Z');
SELECT is(tap.status('moved'), 'in_progress', 'the rescheduled session starts at its new slot');
SELECT is(pg_temp.skips('early'), 0, 'the session cancelled before the first tick never got a trace');

SELECT * FROM finish();
ROLLBACK;
