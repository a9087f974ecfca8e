-- health_report: the named checks of `sessionkeeper healthcheck`, at an explicit p_now, with the cron side given.
BEGIN;
SELECT plan(19);

CREATE FUNCTION pg_temp.check(p_report jsonb, p_name text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT c FROM jsonb_array_elements(p_report -> 'checks') AS c WHERE c ->> 'check' = p_name
$$;
CREATE FUNCTION pg_temp.statuses(p_report jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT string_agg((c ->> 'check') || '=' || (c ->> 'status'), ' ' ORDER BY n)
    FROM jsonb_array_elements(p_report -> 'checks') WITH ORDINALITY AS x (c, n)
$$;
CREATE FUNCTION pg_temp.cron(p_active boolean, p_last_status text DEFAULT 'succeeded') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('database', 'postgres', 'jobs', jsonb_build_array(
        jsonb_build_object(
            'jobname', 'sessionkeeper-tick@app', 'jobid', 7, 'active', p_active, 'last_status', p_last_status,
            'last_start', '2031-05-01 11:59Z', 'last_message', 'ERROR:  boom'
        ),
        jsonb_build_object('jobname', 'sessionkeeper-purge@app', 'jobid', 8, 'active', TRUE)
    ))
$$;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Hugo Host', '+4915112345678', 'UTC'));
-- A healthy system at 12:00: ticked at 11:59 (tick_state is written with the real clock), a live worker.
UPDATE scheduling.tick_state SET last_run_at = '2031-05-01 11:59Z'
WHERE singleton;
SELECT scheduling.worker_heartbeat('w1', 'console', '{}', FALSE, '2031-05-01 11:59:30Z');

SELECT is(
    pg_temp.statuses(scheduling.health_report(pg_temp.cron(TRUE), p_now => '2031-05-01 12:00Z')),
    'cron=ok tick-stale=ok tick-paused=ok cron-failing=ok overdue-sessions=ok halted-senders=ok stuck-leases=ok '
    || 'oldest-due=ok heartbeats=ok',
    'every check, in order, ok'
);
SELECT is(
    scheduling.health_report(pg_temp.cron(TRUE), p_now => '2031-05-01 12:00Z') ->> 'status', 'healthy',
    'all ok: healthy'
);
SELECT is(
    pg_temp.check(scheduling.health_report(pg_temp.cron(TRUE), p_now => '2031-05-01 12:00Z'), 'tick-stale')
    ->> 'detail',
    'last tick 1 minute ago', 'tick-stale says how long ago'
);

-- The cron side not looked at, or not reachable: a warning, never healthy.
SELECT is(
    pg_temp.statuses(scheduling.health_report(p_now => '2031-05-01 12:00Z')),
    'cron=warn tick-stale=ok tick-paused=unknown cron-failing=unknown overdue-sessions=ok halted-senders=ok '
    || 'stuck-leases=ok oldest-due=ok heartbeats=ok',
    'p_cron NULL: cron warns, the pg_cron checks are unknown'
);
SELECT is(
    scheduling.health_report('{"problem": "cannot connect"}', p_now => '2031-05-01 12:00Z') ->> 'status', 'warning',
    'a cron problem: warning'
);
SELECT is(
    pg_temp.check(scheduling.health_report('{"problem": "cannot connect"}', p_now => '2031-05-01 12:00Z'), 'cron')
    ->> 'detail',
    'could not check pg_cron: cannot connect', 'and says why'
);
SELECT is(
    scheduling.health_report('{"off": true}', p_now => '2031-05-01 12:00Z') ->> 'status', 'healthy',
    'scheduling switched off on purpose: tick-stale alone watches the ticker'
);

-- The tick job paused, two hours on: tick-stale names the cause; a session past its start is overdue.
SELECT tap.new_session('late');
SELECT is(
    pg_temp.check(scheduling.health_report(pg_temp.cron(FALSE), p_now => '2031-05-01 14:02Z'), 'tick-stale')
    ->> 'detail',
    'last tick 2 hours 3 minutes ago, more than 5 minutes (pg_cron job sessionkeeper-tick@app is paused)',
    'tick-stale: the age and the paused job'
);
SELECT is(
    pg_temp.check(scheduling.health_report(pg_temp.cron(FALSE), p_now => '2031-05-01 14:02Z'), 'tick-paused')
    ->> 'detail',
    'pg_cron job sessionkeeper-tick@app is paused; resume it in database postgres: '
    || 'SELECT cron.alter_job(7, active => true)',
    'tick-paused names the job and the SQL that resumes it'
);
SELECT is(
    pg_temp.check(scheduling.health_report(pg_temp.cron(FALSE), p_now => '2031-05-01 14:02Z'), 'overdue-sessions'),
    '{"check": "overdue-sessions", "status": "fail", "count": 1, "detail": "1 session(s) not moved more than '
    '15 minutes after their time, the oldest due 4 hours 2 minutes ago"}'::jsonb,
    'overdue-sessions: a scheduled session four hours past its start'
);
SELECT is(
    pg_temp.check(scheduling.health_report(pg_temp.cron(TRUE), p_now => '2031-05-01 10:10Z'), 'overdue-sessions')
    ->> 'status',
    'ok', 'within the grace: not overdue'
);
UPDATE scheduling.sessions SET status = 'in_progress', started_at = starts_at
WHERE id = tap.sid('late');
SELECT is(
    pg_temp.check(
        scheduling.health_report(pg_temp.cron(TRUE), p_overdue_grace => '1 hour', p_now => '2031-05-01 12:30Z'),
        'overdue-sessions'
    ) ->> 'detail',
    '1 session(s) not moved more than 1 hour after their time, the oldest due 1 hour 30 minutes ago',
    'in progress past its end by more than the grace'
);

-- A failed latest run of any job.
SELECT is(
    pg_temp.check(scheduling.health_report(pg_temp.cron(TRUE, 'failed'), p_now => '2031-05-01 12:00Z'), 'cron-failing')
    ->> 'detail',
    'latest run failed: sessionkeeper-tick@app failed at Thursday 1 May 2031, 11:59 (UTC): ERROR:  boom',
    'cron-failing: the job, when and the message'
);
SELECT is(
    pg_temp.check(scheduling.health_report(pg_temp.cron(TRUE, 'failed'), p_now => '2031-05-01 12:20Z'), 'tick-stale')
    ->> 'detail',
    'last tick 21 minutes ago, more than 5 minutes (its latest pg_cron run failed: ERROR:  boom)',
    'tick-stale names the failing run'
);

-- A halted sender, a stuck lease.
SELECT scheduling.halt_sending('cloud_api:A', '190', 'Session has expired', 'w1', '2031-05-01 11:00Z');
SELECT is(
    pg_temp.check(scheduling.health_report(pg_temp.cron(TRUE), p_now => '2031-05-01 12:00Z'), 'halted-senders')
    ->> 'detail',
    'sending number cloud_api:A is halted since Thursday 1 May 2031, 11:00 (UTC) (code 190: Session has expired); '
    || 'fix its credentials, restart the worker, then run: sessionkeeper resume-sending cloud_api:A',
    'halted-senders: the number, since when, the command'
);
INSERT INTO tap.ids VALUES ('cust', scheduling.create_person('Cora', '+4915112345679', 'UTC', TRUE));
SELECT tap.book('b', tap.sid('cust'), '2031-05-02 12:00Z', NULL, '2031-04-01 00:00Z');
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w1', 10, '60 seconds', '2031-05-02 11:00Z')), 1,
    'setup: the reminder claimed, leased for 60 s'
);
SELECT is(
    pg_temp.check(
        scheduling.health_report(pg_temp.cron(TRUE), p_max_due_age => '1 day', p_now => '2031-05-02 11:31Z'),
        'stuck-leases'
    ) ->> 'detail',
    '1 claimed reminder(s) whose lease expired more than 15 minutes ago (the oldest 30 minutes ago) and no worker '
    || 'took back',
    'stuck-leases: a lease expired half an hour ago'
);

-- Bad input.
SELECT throws_ok(
    $$SELECT scheduling.health_report(p_max_tick_age => '0 seconds')$$, 'SK017', NULL, 'a zero tick age: SK017'
);
SELECT throws_ok(
    $$SELECT scheduling.health_report('{"jobs": [{"jobname": "x"}]}')$$, 'SK069', NULL, 'a job without active: SK069'
);

SELECT * FROM finish();
ROLLBACK;
