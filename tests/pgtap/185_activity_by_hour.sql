-- reminder_activity_by_hour: the dashboard's chart of sends, failures and lag per hour, every hour listed.
BEGIN;
SELECT plan(12);

CREATE FUNCTION pg_temp.book(p_tag text, p_phone text) RETURNS uuid
LANGUAGE sql AS $$
    SELECT tap.book(
        p_tag, scheduling.create_person(p_tag, p_phone, 'Europe/Berlin', TRUE), '2031-02-01 09:00Z', NULL,
        '2031-01-15 00:00Z'
    )
$$;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin'));
SELECT pg_temp.book('ann', '+4915112345671');
SELECT pg_temp.book('bob', '+4915112345672');
SELECT pg_temp.book('cat', '+4915112345673');
-- All three fall due at 08:00 (an hour before); claimed at 08:00:10.
SELECT count(*) FROM scheduling.claim_due_reminders('w', 50, '1 hour', '2031-02-01 08:00:10Z');
SELECT scheduling.record_reminder_sent(tap.rid('ann'), tap.token('ann'), 'wamid.a', '2031-02-01 08:00:30Z');
SELECT scheduling.record_reminder_sent(tap.rid('bob'), tap.token('bob'), 'wamid.b', '2031-02-01 08:05:00Z');
SELECT scheduling.record_reminder_failure(
    tap.rid('cat'), tap.token('cat'), '131026', 'not on WhatsApp', FALSE, '2031-02-01 09:15:00Z'
);

CREATE TEMP TABLE t_activity AS
SELECT * FROM scheduling.reminder_activity_by_hour('2031-02-01 06:30Z', '2031-02-01 10:00Z');

SELECT is(
    (SELECT array_agg(to_char(a.hour_start AT TIME ZONE 'UTC', 'HH24:MI') ORDER BY a.hour_start) FROM t_activity AS a),
    ARRAY['06:00', '07:00', '08:00', '09:00'],
    'one row per hour, from the hour p_from falls in to the last hour before p_to, empty hours included'
);
SELECT is(
    (
        SELECT a.sends FROM t_activity AS a
        WHERE a.hour_start = '2031-02-01 08:00Z'
    ), 2, 'two sends at 08:00'
);
SELECT is(
    (
        SELECT a.failures FROM t_activity AS a
        WHERE a.hour_start = '2031-02-01 09:00Z'
    ), 1, 'one failure at 09:00'
);
SELECT is(
    (
        SELECT (a.mean_lag_seconds, a.max_lag_seconds)::text FROM t_activity AS a
        WHERE a.hour_start = '2031-02-01 08:00Z'
    ),
    '(165,300)',
    'lag from due time to send: mean of 30 s and 300 s, max 300 s'
);
SELECT is(
    (
        SELECT (a.sends, a.failures, a.mean_lag_seconds)::text FROM t_activity AS a
        WHERE a.hour_start = '2031-02-01 07:00Z'
    ),
    '(0,0,)',
    'an hour without activity: zeros and no lag'
);
SELECT is(
    (
        SELECT a.mean_lag_seconds FROM t_activity AS a
        WHERE a.hour_start = '2031-02-01 09:00Z'
    ),
    NULL,
    'a failure has no lag: an hour with failures only has none'
);
SELECT is(
    (
        SELECT sum(a.sends)::integer
        FROM scheduling.reminder_activity_by_hour('2031-02-01 08:01Z', '2031-02-01 08:06Z') AS a
    ),
    1,
    'only what happened from p_from up to p_to is counted'
);

SELECT throws_ok(
    $$SELECT * FROM scheduling.reminder_activity_by_hour(NULL, '2031-02-01 10:00Z')$$,
    'SK071', NULL, 'a NULL bound: SK071'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.reminder_activity_by_hour('2031-02-01 10:00Z', '2031-02-01 10:00Z')$$,
    'SK071', NULL, 'an empty range: SK071'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.reminder_activity_by_hour('-infinity', '2031-02-01 10:00Z')$$,
    'SK071', NULL, 'an unbounded range: SK071'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.reminder_activity_by_hour('2031-01-01 00:00Z', '2031-02-01 00:01Z')$$,
    'SK072', NULL, 'more than 31 days at once: SK072'
);

GRANT USAGE ON SCHEMA tap TO sessionkeeper_app;
SET LOCAL ROLE sessionkeeper_app;
SELECT is(
    (
        SELECT sum(a.failures)::integer
        FROM scheduling.reminder_activity_by_hour('2031-02-01 06:00Z', '2031-02-01 10:00Z') AS a
    ),
    1,
    'the app role reads the counts (the outbox tables stay closed to it)'
);
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
