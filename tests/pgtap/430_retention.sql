-- Retention: purge_old_records deletes passed pacing rows, the heartbeats of workers gone quiet, provider events
-- and inbound messages older than the age (the setting, or per call), idempotency keys older than 24 hours, oldest
-- first and at most p_batch per table; young rows stay. The age setting and its refusals; the archive takes
-- delivery reports and replies along with their reminders and bookings, so that no live row names an archived
-- one; who may call what.
BEGIN;
SELECT plan(37);
SET LOCAL timezone = 'UTC';

-- Now is 1 June 2031 12:00Z; the default age is 7 days, so the cut-off is 25 May 12:00Z.
CREATE FUNCTION pg_temp.event(p_id text, p_received_at timestamptz) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO scheduling.provider_events (
        provider, provider_message_id, status, provider_status, received_at, outcome
    ) VALUES ('whatsapp', p_id, 'delivered', 'delivered', p_received_at, 'unmatched')
$$;
CREATE FUNCTION pg_temp.inbound(p_id text, p_received_at timestamptz, p_recorded_at timestamptz) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO scheduling.inbound_messages (
        provider, provider_message_id, from_phone, body, received_at, recorded_at, action
    ) VALUES ('whatsapp', p_id, '+4915100000000', 'hi', p_received_at, p_recorded_at, 'unknown_sender')
$$;
CREATE FUNCTION pg_temp.heartbeat(p_id text, p_beat_at timestamptz, p_stopped_at timestamptz) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO scheduling.worker_heartbeats (worker_id, sender, started_at, beat_at, stopped_at)
    VALUES (p_id, 'fake', p_beat_at - interval '1 day', p_beat_at, p_stopped_at)
$$;
CREATE FUNCTION pg_temp.left_in(p_table text) RETURNS text []
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_left text [];
BEGIN
    EXECUTE format(
        CASE p_table
            WHEN 'recipient_pacing' THEN
                'SELECT array_agg(p.full_name ORDER BY p.full_name) FROM scheduling.recipient_pacing AS t '
                'JOIN scheduling.people AS p ON p.id = t.person_id'
            WHEN 'worker_heartbeats' THEN 'SELECT array_agg(t.worker_id ORDER BY t.worker_id) FROM %s AS t'
            ELSE 'SELECT array_agg(t.provider_message_id ORDER BY t.provider_message_id) FROM %s AS t'
        END,
        'scheduling.' || p_table
    ) INTO v_left;
    RETURN v_left;
END;
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)),
('bob', scheduling.create_person('Bob', '+4915112345680', 'Europe/Berlin', TRUE)),
('cid', scheduling.create_person('Cid', '+4915112345681', 'Europe/Berlin', TRUE));

-- Pacing: Ann's passed a second ago, Bob's passes exactly now, Cid is held back five more seconds.
INSERT INTO scheduling.recipient_pacing (person_id, next_allowed_at) VALUES
(tap.sid('ann'), '2031-06-01 11:59:59Z'),
(tap.sid('bob'), '2031-06-01 12:00Z'),
(tap.sid('cid'), '2031-06-01 12:00:05Z');
-- Heartbeats: stopped eight days ago, silent (never stopped) for eight days, stopped six days ago, beating now.
SELECT pg_temp.heartbeat('w-stopped-old', '2031-05-24 11:00Z', '2031-05-24 11:00Z');
SELECT pg_temp.heartbeat('w-quiet-old', '2031-05-24 12:00Z', NULL);
SELECT pg_temp.heartbeat('w-stopped-young', '2031-05-26 12:00Z', '2031-05-26 12:00Z');
SELECT pg_temp.heartbeat('w-alive', '2031-06-01 11:59Z', NULL);
-- Provider events: received eight days ago, exactly seven days ago (not older), six days ago.
SELECT pg_temp.event('ev-old', '2031-05-24 12:00Z');
SELECT pg_temp.event('ev-seven-days', '2031-05-25 12:00Z');
SELECT pg_temp.event('ev-young', '2031-05-26 12:00Z');
-- Inbound messages go by recorded_at (our clock): the provider's received_at does not count.
SELECT pg_temp.inbound('in-old', '2031-05-31 00:00Z', '2031-05-24 12:00Z');
SELECT pg_temp.inbound('in-young', '2031-05-01 00:00Z', '2031-05-26 12:00Z');
-- Idempotency keys go after 24 hours whatever the age: first used two days, 24 h 1 s, exactly 24 h, an hour ago.
INSERT INTO scheduling.api_idempotency_keys (actor, idempotency_key, request_sha256, status, body, created_at)
SELECT
    'app1' AS actor,
    k.key AS idempotency_key,
    sha256(convert_to(k.key, 'UTF8')) AS request_sha256,
    201 AS status,
    '{}'::jsonb AS body,
    k.created_at
FROM (
    VALUES
    ('key-2d', '2031-05-30 12:00Z'::timestamptz),
    ('key-24h1s', '2031-05-31 11:59:59Z'),
    ('key-24h', '2031-05-31 12:00Z'),
    ('key-young', '2031-06-01 11:00Z')
) AS k (key, created_at);

-- Bad inputs first: each refused, nothing deleted.
CREATE TEMP TABLE t_before AS SELECT tap.written() AS written;
SELECT throws_ok(
    $$SELECT scheduling.purge_old_records('0 days', 1000, '2031-06-01 12:00Z')$$,
    'SK046', 'purge_old_records: the retention age must be more than zero, not 00:00:00',
    'a zero age is refused (SK046)'
);
SELECT throws_ok(
    $$SELECT scheduling.purge_old_records('-1 day', 1000, '2031-06-01 12:00Z')$$,
    'SK046', NULL, 'a negative age is refused (SK046)'
);
SELECT throws_ok(
    $$SELECT scheduling.purge_old_records(NULL, 0, '2031-06-01 12:00Z')$$,
    'SK047', 'purge_old_records: the batch must be from 1 to 100000 rows, not 0', 'a batch of 0 is refused (SK047)'
);
SELECT throws_ok(
    $$SELECT scheduling.purge_old_records(NULL, 100001, '2031-06-01 12:00Z')$$,
    'SK047', NULL, 'a batch above 100,000 is refused (SK047)'
);
SELECT throws_ok(
    $$SELECT scheduling.purge_old_records(NULL, NULL, '2031-06-01 12:00Z')$$,
    'SK047', NULL, 'a NULL batch is refused (SK047)'
);
SELECT throws_ok(
    $$SELECT scheduling.purge_old_records(NULL, 1000, NULL)$$, 'SK009', NULL, 'a NULL p_now is refused (SK009)'
);
SELECT throws_ok(
    $$SELECT scheduling.set_retention_age(NULL)$$,
    'SK046', 'set_retention_age: the retention age must be more than zero, not NULL',
    'set_retention_age refuses NULL (SK046)'
);
SELECT throws_ok(
    $$SELECT scheduling.set_retention_age('0 seconds')$$, 'SK046', NULL, 'set_retention_age refuses zero (SK046)'
);
SELECT throws_ok(
    $$SELECT scheduling.set_retention_age('-7 days')$$, 'SK046', NULL, 'set_retention_age refuses a negative age'
);
SELECT is(tap.written(), (SELECT b.written FROM t_before AS b), 'the refused calls changed nothing');
SELECT is(
    (SELECT rs.older_than FROM scheduling.retention_settings AS rs), interval '7 days', 'the age is still 7 days'
);

-- The purge at the default age.
SELECT is(
    scheduling.purge_old_records(p_now => '2031-06-01 12:00Z'),
    '{"older_than": "7 days", "recipient_pacing": 2, "worker_heartbeats": 2, "provider_events": 1,
      "inbound_messages": 1, "api_idempotency_keys": 2}'::jsonb,
    'the purge says what it deleted from each table, and at which age'
);
SELECT is(
    (SELECT array_agg(k.idempotency_key ORDER BY k.idempotency_key) FROM scheduling.api_idempotency_keys AS k),
    ARRAY['key-24h', 'key-young'],
    'idempotency keys first used more than 24 hours ago are gone, whatever the age; exactly 24 hours is not older'
);
SELECT is(pg_temp.left_in('recipient_pacing'), ARRAY['Cid'], 'pacing rows passed (or passing now) are gone');
SELECT is(
    pg_temp.left_in('worker_heartbeats'), ARRAY['w-alive', 'w-stopped-young'],
    'heartbeats of workers stopped or silent for more than 7 days are gone; the others stay'
);
SELECT is(
    pg_temp.left_in('provider_events'), ARRAY['ev-seven-days', 'ev-young'],
    'provider events received more than 7 days ago are gone; exactly 7 days is not older'
);
SELECT is(
    pg_temp.left_in('inbound_messages'), ARRAY['in-young'],
    'inbound messages go by when we recorded them, not by the provider''s time'
);
SELECT is(
    (scheduling.health('2 minutes', '10 minutes', '2031-06-01 12:00Z') ->> 'workers_alive')::integer, 1,
    'health still sees the live worker'
);
SELECT is(
    scheduling.purge_old_records(p_now => '2031-06-01 12:00Z') - 'older_than',
    '{"recipient_pacing": 0, "worker_heartbeats": 0, "provider_events": 0, "inbound_messages": 0,
      "api_idempotency_keys": 0}'::jsonb,
    'a second purge finds nothing more'
);

-- The batch bound: five old events, a batch of two deletes the two oldest.
SELECT pg_temp.event('ev-b' || n, '2031-05-01 00:00Z'::timestamptz + n * interval '1 hour')
FROM generate_series(1, 5) AS n;
SELECT is(
    (scheduling.purge_old_records(NULL, 2, '2031-06-01 12:00Z') ->> 'provider_events')::integer, 2,
    'a batch of 2 deletes two events'
);
SELECT is(
    pg_temp.left_in('provider_events'), ARRAY['ev-b3', 'ev-b4', 'ev-b5', 'ev-seven-days', 'ev-young'],
    'the oldest two went first; the rest wait for the next call'
);
SELECT is(
    (scheduling.purge_old_records(NULL, 2, '2031-06-01 12:00Z') ->> 'provider_events')::integer, 2,
    'the next call deletes two more'
);

-- The age per call, then the setting.
SELECT is(
    scheduling.purge_old_records('1 day', 1000, '2031-06-01 12:00Z'),
    '{"older_than": "1 day", "recipient_pacing": 0, "worker_heartbeats": 1, "provider_events": 3,
      "inbound_messages": 1, "api_idempotency_keys": 0}'::jsonb,
    'an age given to the call is used: the six-day-old rows go too'
);
SELECT is(pg_temp.left_in('provider_events'), NULL, 'at 1 day, every event is old enough');
SELECT is(
    (SELECT rs.older_than FROM scheduling.retention_settings AS rs), interval '7 days',
    'the age given to a call is not stored'
);
SELECT is(scheduling.set_retention_age('3 days'), interval '7 days', 'set_retention_age returns the age it replaced');
SELECT is(
    (SELECT rs.older_than FROM scheduling.retention_settings AS rs), interval '3 days', 'the new age is stored'
);
SELECT pg_temp.event('ev-four-days', '2031-05-28 12:00Z');
SELECT pg_temp.event('ev-two-days', '2031-05-30 12:00Z');
SELECT is(
    scheduling.purge_old_records(p_now => '2031-06-01 12:00Z') - 'recipient_pacing' - 'worker_heartbeats',
    '{"older_than": "3 days", "provider_events": 1, "inbound_messages": 0, "api_idempotency_keys": 0}'::jsonb,
    'the purge uses the stored age'
);
SELECT is(pg_temp.left_in('provider_events'), ARRAY['ev-two-days'], 'the event four days old went, not the other');

-- The archive: a closed session's reminder has a delivery report, its booking a reply that cancelled it.
SELECT tap.book('ann_old', tap.sid('ann'), '2031-01-10 10:00Z', NULL, '2031-01-01 00:00Z');
UPDATE scheduling.reminders SET provider_message_id = 'wamid.ARCHIVED'
WHERE id = tap.rid('ann_old');
INSERT INTO scheduling.provider_events (
    provider, provider_message_id, status, provider_status, received_at, reminder_id, outcome
) VALUES ('whatsapp', 'wamid.ARCHIVED', 'delivered', 'delivered', '2031-05-31 12:00Z', tap.rid('ann_old'), 'applied');
INSERT INTO scheduling.inbound_messages (
    provider, provider_message_id, from_phone, body, received_at, recorded_at, person_id, action, booking_id
) VALUES (
    'whatsapp', 'wamid.REPLY', '+4915112345679', 'CANCEL', '2031-05-31 12:00Z', '2031-05-31 12:00Z',
    tap.sid('ann'), 'cancelled_booking', tap.sid('ann_old')
);
SELECT pg_temp.event('ev-unrelated', '2031-05-31 12:00Z');
SELECT scheduling.cancel_session(
    (
        SELECT b.session_id FROM scheduling.bookings AS b
        WHERE b.id = tap.sid('ann_old')
    ), 'ill', 'x', '2031-01-02 00:00Z'
);
SELECT is(
    scheduling.archive_closed_sessions('90 days', 1000, '2031-06-01 12:00Z'), 1, 'the closed session is archived'
);
SELECT is(
    (
        SELECT array_agg(format('%s %s', e.provider_message_id, e.archived_at))
        FROM scheduling.provider_events_archive AS e
        INNER JOIN scheduling.reminders_archive AS r ON e.reminder_id = r.id
        WHERE r.booking_id = tap.sid('ann_old')
    ),
    ARRAY['wamid.ARCHIVED 2031-06-01 12:00:00+00'],
    'the delivery report moved to provider_events_archive with its reminder'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.provider_events AS e
        WHERE
            e.reminder_id IS NOT NULL
            AND NOT EXISTS (
                SELECT FROM scheduling.reminders AS r
                WHERE r.id = e.reminder_id
            )
    ),
    0,
    'no live provider event names a reminder that is not in scheduling.reminders'
);
SELECT is(
    pg_temp.left_in('provider_events'),
    ARRAY['ev-two-days', 'ev-unrelated'],
    'the unmatched events stay where they were'
);
SELECT is(
    (
        SELECT array_agg(m.provider_message_id) FROM scheduling.inbound_messages_archive AS m
        WHERE m.booking_id = tap.sid('ann_old')
    ),
    ARRAY['wamid.REPLY'],
    'the reply naming the archived booking moved to inbound_messages_archive'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.inbound_messages AS m
        WHERE
            m.booking_id IS NOT NULL
            AND NOT EXISTS (
                SELECT FROM scheduling.bookings AS b
                WHERE b.id = m.booking_id
            )
    ),
    0,
    'no live inbound message names a booking that is not in scheduling.bookings'
);

-- Who may call it: the cron role purges; the app may neither purge nor change the age.
SET LOCAL ROLE sessionkeeper_cron;
SELECT lives_ok(
    $$SELECT scheduling.purge_old_records(p_now => '2031-06-01 12:00Z')$$, 'the cron role may purge'
);
RESET ROLE;
SET LOCAL ROLE sessionkeeper_app;
SELECT throws_ok(
    $$SELECT scheduling.set_retention_age('1 day')$$,
    '42501', 'permission denied for function set_retention_age', 'the app cannot change the age (42501)'
);
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
