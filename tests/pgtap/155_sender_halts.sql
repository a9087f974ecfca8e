-- Halts per sending number: recorded once, no tokens for that number while one stands (other numbers go on),
-- lifted by resume_sending, refused when there is nothing to lift, kept as history.
BEGIN;
SELECT plan(27);

CREATE FUNCTION pg_temp.standing(p_number text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s/%s/%s/%s', h.error_code, h.error_message, h.halted_at, h.halted_by)
    FROM scheduling.sender_halts AS h WHERE h.sending_number = p_number AND h.lifted_at IS NULL
$$;

-- Both numbers have a full bucket before anything is halted.
SELECT is(scheduling.take_send_tokens('cloud_api:A', 10, '2031-01-01 00:00Z'), 10, 'number A takes tokens');
SELECT is(scheduling.take_send_tokens('cloud_api:B', 10, '2031-01-01 00:00Z'), 10, 'number B takes tokens');

-- The worker records a halt; a second refusal (another worker, another code) keeps the first one.
SET LOCAL ROLE sessionkeeper_worker;
SELECT is(
    (scheduling.halt_sending('cloud_api:A', '190', 'Session has expired', 'w1', '2031-01-01 00:01Z')).error_code,
    '190',
    'the worker records a halt for number A'
);
SELECT is(
    (scheduling.halt_sending('cloud_api:A', '131031', 'Account locked', 'w2', '2031-01-01 00:02Z')).halted_by,
    'w1',
    'a second halt of the same number returns the standing one'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.sender_halt('cloud_api:A')), 1, 'the worker reads the standing halt'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.sender_halt('cloud_api:B')), 0, 'number B has no standing halt'
);
SELECT throws_ok(
    $$SELECT scheduling.resume_sending('cloud_api:A', 'w1', '2031-01-01 00:03Z')$$,
    '42501', NULL, 'the worker cannot lift a halt (42501)'
);
RESET ROLE;
SELECT is(
    pg_temp.standing('cloud_api:A'), '190/Session has expired/2031-01-01 00:01:00+00/w1',
    'one standing halt: the first refusal, as recorded'
);

-- While it stands: no tokens for A, and nothing written to its bucket; B goes on.
SELECT is(
    (
        SELECT row(l.tokens, l.refilled_at)::text FROM scheduling.send_rate_limits AS l
        WHERE l.sending_number = 'cloud_api:A'
    ),
    '(70,"2031-01-01 00:00:00+00")', 'number A''s bucket before the refused take'
);
SELECT is(scheduling.take_send_tokens('cloud_api:A', 10, '2031-01-01 01:00Z'), 0, 'a halted number gets no tokens');
SELECT is(
    (
        SELECT row(l.tokens, l.refilled_at)::text FROM scheduling.send_rate_limits AS l
        WHERE l.sending_number = 'cloud_api:A'
    ),
    '(70,"2031-01-01 00:00:00+00")', 'and its bucket is left alone'
);
SELECT is(scheduling.take_send_tokens('cloud_api:B', 10, '2031-01-01 01:00Z'), 10, 'another number still gets tokens');
SELECT is(
    scheduling.seconds_until_send_tokens('cloud_api:A', 1, '2031-01-01 01:00Z'), 'Infinity'::double precision,
    'waiting does not bring tokens back to a halted number'
);
SELECT is(
    scheduling.seconds_until_send_tokens('cloud_api:B', 1, '2031-01-01 01:00Z'), 0::double precision,
    'another number: tokens now'
);
SELECT is(
    (SELECT halted_senders FROM scheduling.queue_stats), ARRAY['cloud_api:A'], 'queue_stats names the halted number'
);
SELECT ok(
    (
        SELECT
            NOT (h ->> 'ok')::boolean
            AND h -> 'problems' ? (
                'sending number cloud_api:A is halted since Wednesday 1 January 2031, 00:01 (UTC) '
                || '(code 190: Session has expired); fix its credentials, restart the worker, then run: '
                || 'sessionkeeper resume-sending cloud_api:A'
            )
        FROM scheduling.health(p_now => '2031-01-01 01:00Z') AS h
    ),
    'health reports the halt as a problem: number, code, since when, the command'
);

-- Lifting: refused before the halt began and for a number that is not halted; nothing written then.
CREATE TEMP TABLE t_before AS SELECT tap.written() AS digest;
SELECT throws_ok(
    $$SELECT scheduling.resume_sending('cloud_api:A', 'ops', '2031-01-01 00:00Z')$$,
    'SK042', NULL, 'a lift dated before the halt is refused (SK042)'
);
SELECT throws_ok(
    $$SELECT scheduling.resume_sending('cloud_api:B', 'ops', '2031-01-01 01:00Z')$$,
    'SK041', 'resume_sending: sending number cloud_api:B is not halted', 'a number that is not halted: SK041'
);
SELECT throws_ok(
    $$SELECT scheduling.resume_sending('cloud_api:never', 'ops', '2031-01-01 01:00Z')$$,
    'SK041', NULL, 'an unknown number: SK041'
);
SELECT is(tap.written(), (SELECT digest FROM t_before), 'the refused lifts wrote nothing');

SELECT is(
    (scheduling.resume_sending('cloud_api:A', 'ops', '2031-01-01 01:30Z')).lifted_by, 'ops', 'resume_sending lifts it'
);
SELECT is(scheduling.take_send_tokens('cloud_api:A', 10, '2031-01-01 01:30Z'), 10, 'number A gets tokens again');
SELECT is((SELECT halted_senders FROM scheduling.queue_stats), '{}'::text [], 'queue_stats names none');
SELECT throws_ok(
    $$SELECT scheduling.resume_sending('cloud_api:A', 'ops', '2031-01-01 01:31Z')$$,
    'SK041', NULL, 'lifting twice: SK041'
);

-- History: the lifted halt stays; a new refusal records a new halt beside it.
SELECT is(
    (scheduling.halt_sending('cloud_api:A', '0', 'AuthException', 'w3', '2031-01-02 00:00Z')).error_code, '0',
    'a new refusal after the lift records a new halt'
);
SELECT results_eq(
    $$SELECT error_code, halted_by, lifted_by FROM scheduling.sender_halts ORDER BY halted_at$$,
    $$VALUES ('190', 'w1', 'ops'), ('0', 'w3', NULL)$$,
    'the lifted halt is kept as history beside the standing one'
);
SELECT throws_ok(
    $$SELECT scheduling.halt_sending('cloud_api:A', ' ', 'x', 'w1', '2031-01-02 00:00Z')$$,
    'SK009', NULL, 'a blank error code is refused (SK009)'
);

SELECT * FROM finish();
ROLLBACK;
