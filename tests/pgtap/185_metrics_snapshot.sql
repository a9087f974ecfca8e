-- metrics_snapshot: the database figures of the worker's Prometheus /metrics, in one call.
BEGIN;
SELECT plan(10);

CREATE FUNCTION pg_temp.book(p_tag text, p_phone text, p_starts_at timestamptz) RETURNS uuid
LANGUAGE sql AS $$
    SELECT tap.book(p_tag, scheduling.create_person(p_tag, p_phone, 'UTC', TRUE), p_starts_at, NULL, '2031-04-01 00:00Z')
$$;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Hugo Host', '+4915112345678', 'UTC'));

SELECT is(
    scheduling.metrics_snapshot('2031-03-01 00:00Z'),
    '{"queue": {"waiting": 0, "delayed": 0, "active": 0, "failed": 0}, "oldest_due_age_seconds": null,
      "transitions_last_hour": {}, "halted_senders": [], "failed_cron_runs_last_hour": null}'::jsonb,
    'nothing yet: zeros, no due age, no transitions, pg_cron runs unknown'
);

-- Two bookings at 2031-04-01 00:00 (two sessions created then); default policy: due one hour before the start.
SELECT pg_temp.book('later', '+4915112345671', '2031-05-01 13:10Z');
SELECT pg_temp.book('old', '+4915112345672', '2031-05-01 12:50Z');

SELECT is(
    scheduling.metrics_snapshot('2031-05-01 12:01Z') -> 'queue',
    '{"waiting": 1, "delayed": 1, "active": 0, "failed": 0}'::jsonb,
    'one pending row due, one due later'
);
SELECT is(
    scheduling.metrics_snapshot('2031-05-01 12:01Z') -> 'oldest_due_age_seconds', '660'::jsonb,
    'the due row has waited 11 minutes'
);
SELECT is(
    scheduling.metrics_snapshot('2031-04-01 00:30Z') -> 'transitions_last_hour', '{"created": 2}'::jsonb,
    'the two sessions created within the hour'
);
SELECT is(
    scheduling.metrics_snapshot('2031-04-01 01:00:01Z') -> 'transitions_last_hour', '{}'::jsonb,
    'more than an hour later they no longer count'
);
SELECT is(
    scheduling.metrics_snapshot('2031-03-31 23:59Z') -> 'transitions_last_hour', '{}'::jsonb,
    'changes after p_now do not count'
);

SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w1', 10, '60 seconds', '2031-05-01 12:01Z')), 1,
    'setup: the due row claimed, leased for 60 s'
);
SELECT is(
    scheduling.metrics_snapshot('2031-05-01 12:02:30Z') - 'transitions_last_hour' - 'failed_cron_runs_last_hour',
    '{"queue": {"waiting": 0, "delayed": 1, "active": 1, "failed": 0}, "oldest_due_age_seconds": 30,
      "halted_senders": []}'::jsonb,
    'a leased row is active; its expired lease is due since it expired'
);

SELECT scheduling.halt_sending('cloud_api:1098765432101234', '190', 'token expired', 'w1', '2031-05-01 12:03Z');
SELECT is(
    scheduling.metrics_snapshot('2031-05-01 12:04Z') -> 'halted_senders', '["cloud_api:1098765432101234"]'::jsonb,
    'a standing halt is listed'
);

SELECT throws_ok(
    $$SELECT scheduling.metrics_snapshot(NULL)$$, 'SK009', 'metrics_snapshot: p_now must not be NULL',
    'NULL p_now: SK009'
);

SELECT * FROM finish();
ROLLBACK;
