-- tick(): one session that cannot move does not stop the others.
BEGIN;
SELECT plan(7);

-- tick() is SECURITY DEFINER: the test trigger below runs as sessionkeeper_owner and reads tap.ids (rolled back).
GRANT USAGE ON SCHEMA tap TO sessionkeeper_owner;
GRANT SELECT ON tap.ids TO sessionkeeper_owner;

UPDATE scheduling.tick_state SET last_tick_at = NULL;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Host'));
INSERT INTO tap.ids
SELECT
    v.tag,
    scheduling.create_session(
        tap.free_host('2031-07-01 10:00Z', '2031-07-01 11:00Z'), v.tag, '2031-07-01 10:00Z', '2031-07-01 11:00Z'
    ) AS id
FROM (VALUES ('good1'), ('bad'), ('good2')) AS v (tag);

-- A test-only trigger that makes one session impossible to move.
CREATE FUNCTION pg_temp.refuse_bad_session() RETURNS trigger
LANGUAGE plpgsql AS $function$
BEGIN
    IF NEW.id = tap.sid('bad') THEN
        RAISE EXCEPTION 'test trigger refuses session %', NEW.id USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END;
$function$;
CREATE TRIGGER zz_test_refuse_bad_session
BEFORE UPDATE ON scheduling.sessions
FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse_bad_session();

SELECT tap.tick('t1', '2031-07-01 10:00Z');
SELECT is(
    tap.outcome('t1') - 'updates',
    '{"started": 2, "delayed": 0, "completed": 0, "skipped": 0, "failed": 1, "truncated": false, "total": 2}',
    'tick moves the other sessions and reports failed = 1'
);
SELECT is(tap.status('good1'), 'in_progress', 'the first good session started');
SELECT is(tap.status('good2'), 'in_progress', 'the second good session started');
SELECT is(tap.status('bad'), 'scheduled', 'the failing session did not move');
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, reason::text,
        detail LIKE 'start due at % failed: [P0001] test trigger refuses session %'
    FROM scheduling.session_status_history WHERE session_id = tap.sid('bad') AND from_status IS NOT NULL$$,
    $$VALUES ('scheduled', 'scheduled', 'failed', TRUE)$$,
    'the failure is in history with reason failed and the error text'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.session_status_history
        WHERE reason = 'automatic'
    ), 2,
    'the good sessions have their automatic history rows'
);

DROP TRIGGER zz_test_refuse_bad_session ON scheduling.sessions;
SELECT tap.tick('t2', '2031-07-01 10:01Z');
SELECT is(
    tap.outcome('t2') -> 'updates',
    jsonb_build_array(
        jsonb_build_object('id', tap.sid('bad'), 'from', 'scheduled', 'to', 'in_progress', 'is_delayed', FALSE)
    ),
    'once fixed, the next tick moves the session that failed'
);

SELECT * FROM finish();
ROLLBACK;
