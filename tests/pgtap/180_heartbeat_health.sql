-- Worker heartbeats, health (for `sessionkeeper healthcheck`) and the next due time (the worker's idle sleep).
BEGIN;
SELECT plan(25);

-- One customer per booking; default policy: due one hour before the start.
CREATE FUNCTION pg_temp.book(p_tag text, p_phone text, p_starts_at timestamptz) RETURNS uuid
LANGUAGE sql AS $$
    SELECT tap.book(p_tag, scheduling.create_person(p_tag, p_phone, 'UTC', TRUE), p_starts_at, NULL, '2031-04-01 00:00Z')
$$;
CREATE FUNCTION pg_temp.beat(p_worker text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws('/', w.sender, w.started_at, w.beat_at, w.sent, w.retried, w.failed, w.released, w.stopped_at)
    FROM scheduling.worker_heartbeats AS w WHERE w.worker_id = p_worker
$$;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Hugo Host', '+4915112345678', 'UTC'));

-- Nothing queued, no worker.
SELECT is(scheduling.seconds_until_next_reminder('2031-05-01 12:00Z'), NULL, 'nothing pending or leased: NULL');
SELECT is(
    scheduling.health(p_now => '2031-05-01 12:00Z'),
    '{"ok": false, "problems": ["no worker has sent a heartbeat in the last 00:02:00"], "workers_alive": 0,
      "failed_last_hour": 0, "oldest_due_age_seconds": null, "halted_senders": []}'::jsonb,
    'no worker: not ok, and says why'
);

-- Heartbeats.
SELECT scheduling.worker_heartbeat('w1', 'console', '{"sent": 3, "retried": 1}', FALSE, '2031-05-01 11:59:30Z');
SELECT is(
    pg_temp.beat('w1'), 'console/2031-05-01 11:59:30+00/2031-05-01 11:59:30+00/3/1',
    'first beat: started and beat now, the counters given (missing ones NULL)'
);
SELECT scheduling.worker_heartbeat(
    'w1', 'console', '{"sent": 5, "retried": 1, "failed": 2, "released": 0}', FALSE, '2031-05-01 12:00Z'
);
SELECT is(
    pg_temp.beat('w1'), 'console/2031-05-01 11:59:30+00/2031-05-01 12:00:00+00/5/1/2/0',
    'next beat: same start, new beat time and counters'
);
SELECT is(
    scheduling.health(p_now => '2031-05-01 12:00Z'),
    '{"ok": true, "problems": [], "workers_alive": 1, "failed_last_hour": 0, "oldest_due_age_seconds": null,
      "halted_senders": []}'::jsonb,
    'a fresh beat, nothing due: ok'
);
SELECT is(
    scheduling.health(p_now => '2031-05-01 12:02:01Z') -> 'workers_alive', '0'::jsonb,
    'a beat older than p_max_heartbeat_age (2 minutes) does not count'
);
SELECT is(
    scheduling.health('5 minutes', p_now => '2031-05-01 12:02:01Z') ->> 'ok', 'true',
    'a longer p_max_heartbeat_age accepts it'
);
SELECT scheduling.worker_heartbeat('w1', 'console', '{"sent": 6}', TRUE, '2031-05-01 12:00:10Z');
SELECT is(
    pg_temp.beat('w1'), 'console/2031-05-01 11:59:30+00/2031-05-01 12:00:10+00/6/2031-05-01 12:00:10+00',
    'a clean stop sets stopped_at'
);
SELECT is(
    scheduling.health(p_now => '2031-05-01 12:00:20Z') -> 'workers_alive', '0'::jsonb,
    'a stopped worker is not alive'
);
SELECT scheduling.worker_heartbeat('w1', 'cloud_api', '{}', FALSE, '2031-05-01 12:01Z');
SELECT is(
    pg_temp.beat('w1'), 'cloud_api/2031-05-01 12:01:00+00/2031-05-01 12:01:00+00',
    'a beat after the stop is a new run: started_at reset, stopped_at cleared'
);

-- Due rows and the next due time.
SELECT pg_temp.book('later', '+4915112345671', '2031-05-01 13:10Z');
SELECT is(
    scheduling.seconds_until_next_reminder('2031-05-01 12:00Z'), 600::float8, 'a row due in 10 minutes: 600'
);
SELECT pg_temp.book('old', '+4915112345672', '2031-05-01 12:50Z');
SELECT is(scheduling.seconds_until_next_reminder('2031-05-01 12:00Z'), 0::float8, 'a row already due: 0');
SELECT is(
    scheduling.health(p_now => '2031-05-01 12:01Z'),
    '{"ok": false, "problems": ["the oldest due reminder has waited 660 s (more than 00:05:00)"],
      "workers_alive": 1, "failed_last_hour": 0, "oldest_due_age_seconds": 660, "halted_senders": []}'::jsonb,
    'a due row waiting longer than p_max_due_age: not ok, with its age'
);
SELECT is(
    scheduling.health(p_max_due_age => '15 minutes', p_now => '2031-05-01 12:01Z') ->> 'ok', 'true',
    'within a longer p_max_due_age: ok'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w1', 10, '60 seconds', '2031-05-01 12:01Z')), 1,
    'setup: the due row claimed, leased for 60 s'
);
SELECT is(
    scheduling.seconds_until_next_reminder('2031-05-01 12:01Z'), 60::float8,
    'the next event is the lease expiring in 60 s (before the row due in 9 minutes)'
);
SELECT is(
    scheduling.seconds_until_next_reminder('2031-05-01 12:02:30Z'), 0::float8, 'an expired lease is due: 0'
);
SELECT is(
    scheduling.health(p_now => '2031-05-01 12:02:30Z') -> 'oldest_due_age_seconds', '30'::jsonb,
    'health counts an expired lease as due since it expired'
);
SELECT scheduling.record_reminder_failure(
    tap.rid(
        'old'), (
        SELECT attempt_token FROM scheduling.reminders
        WHERE id = tap.rid('old')
    ),
    '131026', 'not on WhatsApp', FALSE, '2031-05-01 12:01:30Z'
);
SELECT is(
    scheduling.health(p_now => '2031-05-01 12:02Z') -> 'failed_last_hour', '1'::jsonb, 'failed_last_hour counts it'
);
SELECT is(
    scheduling.health(p_now => '2031-05-01 13:01:31Z') -> 'failed_last_hour', '0'::jsonb, 'an hour later it does not'
);

-- Bad input.
SELECT throws_ok(
    $$SELECT scheduling.health('0 seconds')$$, 'SK017', NULL, 'a zero p_max_heartbeat_age: SK017'
);
SELECT throws_ok(
    $$SELECT scheduling.worker_heartbeat('w2', 'console', '[1]')$$, 'SK009', NULL, 'counts not an object: SK009'
);
SELECT throws_ok(
    $$SELECT scheduling.worker_heartbeat('w2', 'console', '{"sent": -1}')$$, 'SK009', NULL,
    'a negative counter: SK009'
);
SELECT throws_ok(
    $$SELECT scheduling.worker_heartbeat('w2', 'console', '{"sent": 1.5}')$$, 'SK009', NULL,
    'a fractional counter: SK009'
);
SELECT throws_ok(
    $$SELECT scheduling.worker_heartbeat(' ', 'console')$$, 'SK009', NULL, 'a blank worker id: SK009'
);

SELECT * FROM finish();
ROLLBACK;
