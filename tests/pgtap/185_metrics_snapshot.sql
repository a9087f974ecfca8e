-- metrics_snapshot: the database figures of the worker's Prometheus /metrics, in one call.
BEGIN;
SELECT plan(13);

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

-- pg_cron in this database: its two tables, as pg_cron makes them (the columns read here), and our jobs in them.
CREATE SCHEMA cron;
CREATE TABLE cron.job (jobid bigint PRIMARY KEY);
CREATE TABLE cron.job_run_details (jobid bigint, status text, start_time timestamptz);
INSERT INTO cron.job VALUES (1), (2);
INSERT INTO cron.job_run_details VALUES
(1, 'failed', '2031-05-01 11:30Z'), (2, 'failed', '2031-05-01 11:59Z'), (2, 'succeeded', '2031-05-01 11:58Z'),
(1, 'failed', '2031-05-01 10:59Z'), (3, 'failed', '2031-05-01 11:59Z');
UPDATE sessionkeeper_meta.cron_jobs SET cron_database = current_database(), cron_jobid = NULL;
UPDATE sessionkeeper_meta.cron_jobs SET cron_jobid = 1
WHERE jobname = 'sessionkeeper-tick';
UPDATE sessionkeeper_meta.cron_jobs SET cron_jobid = 2
WHERE jobname = 'sessionkeeper-purge';
SELECT is(
    scheduling.metrics_snapshot('2031-05-01 12:00Z') -> 'failed_cron_runs_last_hour', 'null'::jsonb,
    'pg_cron''s tables not readable by the owner: unknown'
);
GRANT USAGE ON SCHEMA cron TO sessionkeeper_owner;
GRANT SELECT ON cron.job, cron.job_run_details TO sessionkeeper_owner;
SELECT is(
    scheduling.metrics_snapshot('2031-05-01 12:00Z') -> 'failed_cron_runs_last_hour', '2'::jsonb,
    'failed runs of our jobs in the hour up to p_now (not older ones, not successes, not other jobs)'
);
DELETE FROM cron.job
WHERE jobid = 2;
SELECT is(
    scheduling.metrics_snapshot('2031-05-01 12:00Z') -> 'failed_cron_runs_last_hour', 'null'::jsonb,
    'one of our jobs not visible (another login''s): unknown rather than a partial count'
);

SELECT throws_ok(
    $$SELECT scheduling.metrics_snapshot(NULL)$$, 'SK009', 'metrics_snapshot: p_now must not be NULL',
    'NULL p_now: SK009'
);

SELECT * FROM finish();
ROLLBACK;
