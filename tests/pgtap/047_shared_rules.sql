-- Rules and numbers written once and asked everywhere: the input-length limits (text_limit), the capacity rule
-- (session_is_full), the default generation horizon (default_generation_days) and the p_now check of the
-- functions that only read (check_now_given).
BEGIN;
SELECT plan(24);

-- Views cannot call scheduling_internal (their readers may not execute its functions), so they spell the capacity
-- rule out; three sessions, unlimited, full and not full, show they say what session_is_full says.
CREATE TEMP TABLE t_full (capacity integer PRIMARY KEY, session_id uuid);
INSERT INTO t_full
SELECT
    c.capacity,
    scheduling.create_session(
        scheduling.create_person('Rule Host', NULL, 'UTC'), 'rule', now() + interval '1 day',
        now() + interval '1 day 1 hour', 'UTC', p_capacity => c.capacity
    ) AS session_id
FROM (VALUES (0), (1), (2)) AS c (capacity);
CREATE TEMP TABLE t_full_bookings AS
SELECT scheduling.create_booking(f.session_id, scheduling.create_person('Rule Guest', NULL, 'UTC')) AS booking_id
FROM t_full AS f;

SELECT results_eq(
    $$
        SELECT k.kind, scheduling_internal.text_limit(k.kind)
        FROM unnest(ARRAY['name', 'free_text', 'rrule', 'metadata']) AS k (kind)
    $$,
    $$VALUES ('name', 200), ('free_text', 2000), ('rrule', 500), ('metadata', 10000)$$,
    'text_limit: names 200, free text 2000, rules 500, metadata 10000 characters'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.text_limit('title')$$, 'SK009', 'text_limit: unknown kind ''title''',
    'text_limit refuses a kind it does not know'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.text_limit(NULL)$$, 'SK009', 'text_limit: unknown kind NULL',
    'text_limit refuses a NULL kind'
);

SELECT lives_ok(
    $$SELECT scheduling_internal.check_text_length('t: p_actor', repeat('a', 200), 'name')$$,
    'check_text_length passes a name of exactly 200 characters'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.check_text_length('t: p_actor', repeat('a', 201), 'name')$$,
    'SK034', 't: p_actor is too long: 201 characters, at most 200',
    'check_text_length refuses 201 characters for a name, naming the field and both lengths'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.check_text_length('t: p_reason', repeat('a', 2001), 'free_text')$$,
    'SK034', 't: p_reason is too long: 2001 characters, at most 2000',
    'check_text_length refuses 2001 characters of free text'
);
SELECT hasnt_function(
    'scheduling_internal', 'check_text_length', ARRAY['text', 'text', 'integer'],
    'check_text_length takes a kind, no longer a number of characters'
);
SELECT is_empty(
    $$
        SELECT p.oid::regprocedure::text
        FROM pg_proc AS p
        WHERE
            p.pronamespace IN ('scheduling'::regnamespace, 'scheduling_internal'::regnamespace)
            AND p.prosrc ~ 'check_text_length\([^;]*, [0-9]+\)'
    $$,
    'no function passes check_text_length a number of its own'
);

SELECT results_eq(
    $$
        SELECT t.capacity, t.attendees, scheduling_internal.session_is_full(t.capacity, t.attendees)
        FROM (VALUES (0, 0), (0, 7), (1, 0), (1, 1), (3, 2), (3, 3), (3, 4)) AS t (capacity, attendees)
    $$,
    $$
        VALUES
        (0, 0, FALSE), (0, 7, FALSE), (1, 0, FALSE), (1, 1, TRUE), (3, 2, FALSE), (3, 3, TRUE), (3, 4, TRUE)
    $$,
    'session_is_full: capacity 0 is never full; otherwise full once attendees reach capacity'
);
SELECT ok(
    (
        SELECT l.lanname = 'sql' AND p.provolatile = 'i'
        FROM pg_proc AS p
        INNER JOIN pg_language AS l ON p.prolang = l.oid
        WHERE p.oid = 'scheduling_internal.session_is_full(integer, integer)'::regprocedure
    ),
    'session_is_full is an IMMUTABLE LANGUAGE sql function, which the planner inlines into the queries that ask'
);

SELECT results_eq(
    $$
        SELECT
            a.capacity,
            a.calculated_status = 'full',
            scheduling_internal.session_is_full(a.capacity, a.current_attendees),
            a.seats_left
        FROM scheduling.session_availability AS a
        INNER JOIN t_full AS f ON a.session_id = f.session_id
        ORDER BY a.capacity
    $$,
    $$VALUES (0, FALSE, FALSE, NULL::integer), (1, TRUE, TRUE, 0), (2, FALSE, FALSE, 1)$$,
    'session_availability says full exactly when session_is_full does; seats_left is NULL when unlimited'
);

SELECT is(scheduling_internal.default_generation_days(), 30, 'recurring generation looks 30 days ahead by default');
SELECT is_empty(
    $$
        SELECT p.oid::regprocedure::text
        FROM pg_proc AS p
        WHERE
            p.pronamespace = 'scheduling'::regnamespace
            AND p.proargnames @> ARRAY['p_days_ahead']
            AND strpos(
                pg_get_function_arguments(p.oid),
                format('p_days_ahead integer DEFAULT %s', scheduling_internal.default_generation_days())
            ) = 0
    $$,
    'every public p_days_ahead defaults to default_generation_days()'
);
SELECT is(
    (
        SELECT count(*)::integer
        FROM pg_proc AS p
        WHERE p.pronamespace = 'scheduling'::regnamespace AND p.proargnames @> ARRAY['p_days_ahead']
    ),
    3,
    'generate_recurring_sessions, generate_all_recurring_sessions and resume_template take p_days_ahead'
);
SELECT is(
    (
        SELECT j.command
        FROM sessionkeeper_meta.cron_jobs AS j
        WHERE j.jobname = 'sessionkeeper-generate-recurring'
    ),
    'SELECT scheduling.generate_all_recurring_sessions()',
    'the nightly generation job passes no horizon: it uses the default'
);

SELECT throws_ok(
    $$SELECT scheduling_internal.check_now_given('t', NULL)$$, 'SK009', 't: p_now must not be NULL',
    'check_now_given refuses a NULL p_now, naming the caller'
);
SELECT lives_ok(
    $$
        SELECT
            scheduling_internal.check_now_given('t', 'infinity'),
            scheduling_internal.check_now_given('t', now() + interval '10 years')
    $$,
    'check_now_given lets an infinite or future p_now through (it is for functions that only read)'
);

-- The checks sessions, templates and workshops share, with the messages each had before.
SELECT throws_ok(
    $$SELECT scheduling_internal.check_title('workshop', '  ')$$,
    'SK009', 'workshop title must not be blank', 'check_title: a blank title, named by what it titles'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.check_title('session', repeat('x', 201))$$,
    'SK034', NULL, 'check_title: a title over the name limit'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.check_capacity('template', -1)$$,
    'SK009', 'template capacity must be 0 (unlimited) or more, not -1', 'check_capacity: negative seats'
);
SELECT lives_ok(
    $$SELECT scheduling_internal.check_capacity('session', 0)$$, 'check_capacity: 0 (unlimited) passes'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.check_metadata('session', '[1]'::jsonb)$$,
    'SK009', 'session metadata must be a JSON object', 'check_metadata: not an object'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.live_host_time_zone('00000000-0000-0000-0000-000000000000')$$,
    'SK007', 'host 00000000-0000-0000-0000-000000000000 not found', 'live_host_time_zone: an unknown host'
);
CREATE TEMP TABLE t_host AS SELECT scheduling.create_person('Hana Host', '+4915112340001', 'Asia/Kolkata') AS id;
SELECT is(
    scheduling_internal.live_host_time_zone((SELECT h.id FROM t_host AS h)),
    'Asia/Kolkata', 'live_host_time_zone: the host''s zone'
);

SELECT * FROM finish();
ROLLBACK;
