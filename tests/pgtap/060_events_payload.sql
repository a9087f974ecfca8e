-- NOTIFY payloads: shape, the 8000-byte cap, tick's returned updates.
BEGIN;
SELECT plan(12);

CREATE FUNCTION pg_temp.fake_updates(p_count integer) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT coalesce(jsonb_agg(
        jsonb_build_object('id', gen_random_uuid(), 'from', 'scheduled', 'to', 'in_progress', 'is_delayed', FALSE)
    ), '[]')
    FROM generate_series(1, p_count)
$$;
CREATE TEMP TABLE t_payloads (tag text PRIMARY KEY, payload jsonb NOT NULL);

UPDATE scheduling.tick_state SET last_tick_at = NULL;

INSERT INTO t_payloads VALUES (
    'small', scheduling_internal.notify_session_status(
        jsonb_build_object('source', 'tick', 'started', 3, 'updates', pg_temp.fake_updates(3))
    )
);
SELECT is(
    (
        SELECT array_agg(k.key_name ORDER BY k.key_name)
        FROM t_payloads AS p
        CROSS JOIN LATERAL jsonb_object_keys(p.payload) AS k (key_name)
        WHERE p.tag = 'small'
    ),
    ARRAY['completed', 'delayed', 'source', 'started', 'updates'],
    'a payload has source, started, delayed, completed and updates'
);
SELECT is(
    (
        SELECT payload -> 'updates' -> 0 ? 'is_delayed' FROM t_payloads
        WHERE tag = 'small'
    ), FALSE,
    'payload updates carry only id, from and to'
);
SELECT is(
    (
        SELECT jsonb_array_length(payload -> 'updates') FROM t_payloads
        WHERE tag = 'small'
    ), 3,
    'a small payload lists every update'
);

INSERT INTO t_payloads VALUES (
    'big', scheduling_internal.notify_session_status(
        jsonb_build_object('source', 'tick', 'started', 120, 'updates', pg_temp.fake_updates(120))
    )
);
SELECT results_eq(
    $$SELECT jsonb_array_length(payload -> 'updates'), payload -> 'truncated', (payload ->> 'total')::integer
    FROM t_payloads WHERE tag = 'big'$$,
    $$VALUES (50, 'true'::jsonb, 120)$$,
    'a big payload is capped at 50 updates with truncated and total'
);
SELECT cmp_ok(
    (
        SELECT octet_length(payload::text) FROM t_payloads
        WHERE tag = 'big'
    ), '<', 8000,
    'a capped payload stays under the 8000-byte NOTIFY limit'
);
SELECT is(
    (scheduling_internal.notify_session_status(
        jsonb_build_object('total', 500, 'updates', pg_temp.fake_updates(100))
    ) ->> 'total')::integer,
    500,
    'a total given by the caller (already capped list) wins'
);

-- tick's own outcome
INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Host'));
INSERT INTO tap.ids
SELECT
    's' || g AS tag,
    scheduling.create_session(
        tap.free_host('2031-08-01 10:00Z'::timestamptz + g * interval '1 second', '2031-08-01 11:00Z'
        ), 'Bulk ' || g, '2031-08-01 10:00Z'::timestamptz + g * interval '1 second',
        '2031-08-01 11:00Z'
    ) AS id
FROM generate_series(1, 105) AS g;
CREATE TEMP TABLE t_tick AS SELECT scheduling.tick('2031-08-01 10:30Z') AS outcome;
SELECT is(
    (SELECT outcome - 'updates' FROM t_tick),
    '{"started": 105, "delayed": 0, "completed": 0, "skipped": 0, "failed": 0, "truncated": true, "total": 105}',
    'tick counts every moved session and says truncated when updates are capped'
);
SELECT is(
    (SELECT jsonb_array_length(outcome -> 'updates') FROM t_tick), 100,
    'tick returns at most 100 updates'
);
SELECT is(
    (SELECT outcome -> 'updates' -> 0 FROM t_tick),
    jsonb_build_object('id', tap.sid('s1'), 'from', 'scheduled', 'to', 'in_progress', 'is_delayed', FALSE),
    'tick updates are ordered by starts_at and carry id, from, to, is_delayed'
);
SELECT is(
    (scheduling_internal.notify_session_status((SELECT outcome || '{"source": "tick"}' FROM t_tick)) - 'updates'),
    '{"source": "tick", "started": 105, "delayed": 0, "completed": 0, "truncated": true, "total": 105}',
    'the NOTIFY payload built from a tick outcome keeps the counts and the real total'
);

INSERT INTO tap.ids VALUES (
    'm',
    scheduling.create_session(
        tap.free_host('2031-08-02 10:00Z', '2031-08-02 11:00Z'), 'Manual', '2031-08-02 10:00Z', '2031-08-02 11:00Z'
    )
);
SELECT lives_ok(
    $$SELECT scheduling.start_session(tap.sid('m'), 'x', '2031-08-02 10:00Z')$$,
    'a manual action sends its NOTIFY without error'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.session_status_history
        WHERE reason = 'automatic'
    ), 105,
    'one automatic history row per started session'
);

SELECT * FROM finish();
ROLLBACK;
