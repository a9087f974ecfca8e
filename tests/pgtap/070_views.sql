-- Views: upcoming_sessions, sessions_in_progress, session_history.
BEGIN;
SELECT plan(10);

UPDATE scheduling.tick_state SET last_tick_at = NULL;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Beatriz Host', NULL, 'America/Sao_Paulo'));
INSERT INTO tap.ids
SELECT
    v.tag,
    scheduling.create_session(
        tap.free_host(v.starts_at, v.ends_at), v.tag, v.starts_at, v.ends_at, p_start_mode => v.mode
    ) AS id
FROM (
    VALUES
    ('future', now() + interval '1 day', now() + interval '1 day 1 hour', 'automatic'::scheduling.session_start_mode),
    ('past', now() - interval '2 hours', now() - interval '1 hour', 'automatic'),
    ('cancelled', now() + interval '2 days', now() + interval '2 days 1 hour', 'automatic'),
    ('deleted', now() + interval '3 days', now() + interval '3 days 1 hour', 'automatic'),
    ('delayed', now() - interval '10 minutes', now() + interval '50 minutes', 'host_started'),
    ('ontime', now() + interval '1 hour', now() + interval '2 hours', 'automatic')
) AS v (tag, starts_at, ends_at, mode);

SELECT scheduling.cancel_session(tap.sid('cancelled'), 'test');
SELECT scheduling.delete_session(tap.sid('deleted'), 'test');
SELECT scheduling.tick(now());
SELECT scheduling.start_session(tap.sid('ontime'));
INSERT INTO tap.ids VALUES (
    'ended', scheduling.create_session(
        tap.free_host(
            now() - interval '40 minutes', now() - interval '1 minute'
        ),
        'ended',
        now() - interval '40 minutes',
        now() - interval '1 minute'
    )
);
SELECT scheduling.start_session(tap.sid('ended'), 'x', now() - interval '30 minutes');

SELECT results_eq(
    $$SELECT id, host_name, time_zone FROM scheduling.upcoming_sessions$$,
    $$VALUES (tap.sid('future'), 'Beatriz Host'::text, 'America/Sao_Paulo'::text)$$,
    'upcoming_sessions lists only scheduled, not deleted, future sessions, with the host name'
);
SELECT is(
    (SELECT starts_at_local FROM scheduling.upcoming_sessions),
    ((now() + interval '1 day') AT TIME ZONE 'America/Sao_Paulo'),
    'upcoming_sessions shows the start in the session''s own time zone'
);
SELECT set_eq(
    $$SELECT id, state FROM scheduling.sessions_in_progress$$,
    $$VALUES (tap.sid('delayed'), 'delayed: needs a late start or a manual completion'::text),
        (tap.sid('ontime'), 'on time'), (tap.sid('ended'), 'ended: completes at the next tick')$$,
    'sessions_in_progress shows each in_progress session with a readable state'
);
SELECT is(
    (
        SELECT is_delayed FROM scheduling.sessions_in_progress
        WHERE id = tap.sid('delayed')
    ), TRUE,
    'sessions_in_progress shows is_delayed'
);
SELECT lives_ok(
    $$SELECT scheduling.complete_session(tap.sid('delayed'))$$,
    'setup: the delayed session is completed by hand'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.sessions_in_progress
        WHERE id = tap.sid('delayed')
    ), 0,
    'a completed session leaves sessions_in_progress'
);
SELECT results_eq(
    $$SELECT session_title, coalesce(from_status::text, '-'), to_status::text, reason::text
    FROM scheduling.session_history WHERE session_id = tap.sid('delayed')$$,
    $$VALUES ('delayed'::text, '-', 'scheduled', 'manual'),
        ('delayed', 'scheduled', 'in_progress', 'automatic'),
        ('delayed', 'in_progress', 'completed', 'manual')$$,
    'session_history lists a session''s changes in order with its title'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.session_history
        WHERE session_id = tap.sid('deleted')
    ), 2,
    'session_history keeps the history of deleted sessions'
);
SELECT ok(
    (
        SELECT bool_and(obj_description(c.oid, 'pg_class') IS NOT NULL)
        FROM pg_class AS c
        WHERE c.relnamespace = 'scheduling'::regnamespace AND c.relkind IN ('r', 'v')
    ),
    'every table and view in scheduling has a comment'
);

SELECT ok(
    (
        SELECT bool_and(obj_description(p.oid, 'pg_proc') IS NOT NULL)
        FROM pg_proc AS p
        WHERE p.pronamespace = 'scheduling'::regnamespace
    ),
    'every function in scheduling has a comment'
);

SELECT * FROM finish();
ROLLBACK;
