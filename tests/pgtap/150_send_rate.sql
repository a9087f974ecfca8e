-- The shared token bucket per sending number: take, refill, give back, set the rate, wait time.
BEGIN;
SELECT plan(31);

CREATE FUNCTION pg_temp.bucket(p_number text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s/%s/%s', l.messages_per_second, trim_scale(l.tokens), l.refilled_at)
    FROM scheduling.send_rate_limits AS l WHERE l.sending_number = p_number
$$;

-- First use: a full bucket at the default 80 messages/s; two takes share it.
SELECT is(
    scheduling.take_send_tokens('cloud_api:1', 50, '2031-01-01 00:00Z'), 50, 'first take: the bucket starts full'
);
SELECT is(
    scheduling.take_send_tokens('cloud_api:1', 50, '2031-01-01 00:00Z'), 30,
    'a second take at the same moment gets what is left of the 80 burst'
);
SELECT is(scheduling.take_send_tokens('cloud_api:1', 10, '2031-01-01 00:00Z'), 0, 'an empty bucket grants nothing');
SELECT is(
    pg_temp.bucket('cloud_api:1'), '80/0/2031-01-01 00:00:00+00', 'the row: default rate 80, no tokens, refilled now'
);

-- Refill by elapsed time x rate, never above the capacity, never backwards.
SELECT is(
    scheduling.take_send_tokens('cloud_api:1', 100, '2031-01-01 00:00:00.5Z'), 40, 'half a second refills 40 tokens'
);
SELECT is(
    scheduling.take_send_tokens('cloud_api:1', 5, '2031-01-01 00:00:00.2Z'), 0,
    'a p_now before the last refill refills nothing'
);
SELECT is(
    pg_temp.bucket('cloud_api:1'), '80/0/2031-01-01 00:00:00.5+00', 'and refilled_at does not move back'
);
SELECT is(
    scheduling.take_send_tokens('cloud_api:1', 1000, '2031-01-01 01:00Z'), 80,
    'an hour later: one full bucket (80), not 288000'
);
SELECT is(
    scheduling.take_send_tokens('cloud_api:1', 1, '2031-01-01 01:00:00.01Z'), 0,
    '10 ms at 80/s is 0.8 of a token: nothing yet'
);
SELECT is(
    scheduling.take_send_tokens('cloud_api:1', 1, '2031-01-01 01:00:00.0125Z'), 1,
    'fractions add up: 12.5 ms makes one whole token'
);
SELECT is(
    scheduling.take_send_tokens('cloud_api:1', 0, '2031-01-01 01:00:00.0125Z'), 0, 'asking for 0 grants 0'
);

-- Giving back what the claim did not use, capped at the capacity.
SELECT scheduling.take_send_tokens('cloud_api:1', 80, '2031-01-01 02:00Z');
SELECT lives_ok($$SELECT scheduling.return_send_tokens('cloud_api:1', 30)$$, 'return_send_tokens gives 30 back');
SELECT is(pg_temp.bucket('cloud_api:1'), '80/30/2031-01-01 02:00:00+00', 'the bucket holds the 30 returned');
SELECT scheduling.return_send_tokens('cloud_api:1', 500);
SELECT is(pg_temp.bucket('cloud_api:1'), '80/80/2031-01-01 02:00:00+00', 'never above the capacity');

-- How long until tokens are available.
SELECT scheduling.take_send_tokens('cloud_api:1', 80, '2031-01-01 03:00Z');
SELECT is(scheduling.seconds_until_send_tokens('cloud_api:1', 8, '2031-01-01 03:00Z'), 0.1::float8, '8 tokens: 0.1 s');
SELECT is(
    scheduling.seconds_until_send_tokens('cloud_api:1', 1, '2031-01-01 03:00:00.005Z'), 0.0075::float8,
    '1 token 5 ms later: 7.5 ms'
);
SELECT is(
    scheduling.seconds_until_send_tokens('cloud_api:1', 500, '2031-01-01 03:00Z'), 1::float8,
    'more than a bucket counts as a full bucket: 1 s'
);
SELECT is(
    scheduling.seconds_until_send_tokens('cloud_api:1', 8, '2031-01-01 02:59:59Z'), 1.1::float8,
    'a p_now before the last refill waits for it first'
);
SELECT is(
    scheduling.seconds_until_send_tokens('cloud_api:1', 8, '2031-01-01 03:00:01Z'), 0::float8, '0 when available'
);
SELECT is(scheduling.seconds_until_send_tokens('cloud_api:new'), 0::float8, 'an unknown number: 0 (starts full)');
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.send_rate_limits
        WHERE sending_number = 'cloud_api:new'
    ), 0,
    'seconds_until_send_tokens writes nothing'
);

-- Setting the rate: the bucket follows, for every worker.
SELECT scheduling.set_send_rate('cloud_api:2', 10, '2031-01-01 00:00Z');
SELECT is(pg_temp.bucket('cloud_api:2'), '10/10/2031-01-01 00:00:00+00', 'a new number gets a full bucket at its rate');
SELECT scheduling.set_send_rate('cloud_api:1', 0.5, '2031-01-01 04:00Z');
SELECT is(
    pg_temp.bucket('cloud_api:1'), '0.5/1/2031-01-01 04:00:00+00',
    'a rate under 1/s keeps a capacity of one token (else nothing could ever be sent)'
);
SELECT is(scheduling.take_send_tokens('cloud_api:1', 5, '2031-01-01 04:00Z'), 1, 'one token at 0.5/s');
SELECT is(
    scheduling.seconds_until_send_tokens('cloud_api:1', 1, '2031-01-01 04:00Z'), 2::float8, 'the next one in 2 s'
);

-- Bad input: its own SQLSTATE, nothing written.
CREATE TEMP TABLE t_before AS SELECT pg_temp.bucket('cloud_api:1') AS b;
SELECT throws_ok(
    $$SELECT scheduling.set_send_rate('cloud_api:1', 0)$$, 'SK020', NULL, 'a rate of 0: SK020'
);
SELECT throws_ok(
    $$SELECT scheduling.set_send_rate('cloud_api:1', 1000.5)$$, 'SK020', NULL, 'a rate above 1000: SK020'
);
SELECT throws_ok(
    $$SELECT scheduling.take_send_tokens('cloud_api:1', -1)$$, 'SK009', NULL, 'a negative take: SK009'
);
SELECT throws_ok(
    $$SELECT scheduling.take_send_tokens(' ', 1)$$, 'SK009', NULL, 'a blank sending number: SK009'
);
SELECT throws_ok(
    $$SELECT scheduling.return_send_tokens('cloud_api:unknown', 1)$$, 'SK021', NULL,
    'giving back tokens a number never took: SK021'
);
SELECT is(
    (SELECT b FROM t_before) || ' ' || (SELECT count(*) FROM scheduling.send_rate_limits)::text,
    pg_temp.bucket('cloud_api:1') || ' 2', 'the refused calls changed nothing'
);

SELECT * FROM finish();
ROLLBACK;
