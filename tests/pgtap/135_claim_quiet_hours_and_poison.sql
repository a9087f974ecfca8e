-- Two promises of claim_due_reminders: quiet hours hold at claim time for every kind of row (first attempts,
-- retries, late claims), across midnight and across DST changes; and a row whose lease keeps expiring (a poison
-- message) becomes failed after worker_settings.max_lease_expiries expiries, until retry_failed_reminders.
BEGIN;
SELECT plan(50);

-- One customer per booking (tag = person) in p_time_zone, booked 30 days before; p_policy NULL = default.
CREATE FUNCTION pg_temp.book(
    p_tag text, p_phone text, p_time_zone text, p_policy text, p_starts_at timestamptz
) RETURNS uuid
LANGUAGE sql AS $$
    SELECT tap.book(
        p_tag, scheduling.create_person(p_tag, p_phone, p_time_zone, TRUE), p_starts_at, p_policy,
        p_starts_at - interval '30 days'
    )
$$;
-- Claim everything due at p_at, leased for p_lease: tag/kind:attempt of each row handed out.
CREATE FUNCTION pg_temp.claim(p_at timestamptz, p_lease interval DEFAULT '1 hour') RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce(string_agg(t.tag || '/' || c.kind || ':' || c.attempt, ',' ORDER BY t.tag, c.kind), '')
    FROM scheduling.claim_due_reminders('w', 50, p_lease, p_at) AS c
    INNER JOIN scheduling.reminders AS r ON c.reminder_id = r.id
    INNER JOIN tap.ids AS t ON r.booking_id = t.id
$$;
-- The row of kind p_kind of the booking tagged p_tag.
CREATE FUNCTION pg_temp.row_of(p_tag text, p_kind text DEFAULT 'reminder') RETURNS scheduling.reminders
LANGUAGE sql STABLE AS $$
    SELECT r.* FROM scheduling.reminders AS r
    WHERE r.booking_id = tap.sid(p_tag) AND r.kind::text = p_kind
    ORDER BY r.seq LIMIT 1
$$;
-- Records the send of the claimed reminder row of a booking tag.
CREATE FUNCTION pg_temp.sent(p_tag text, p_at timestamptz) RETURNS text
LANGUAGE sql AS $$
    SELECT scheduling.record_reminder_sent(tap.rid(p_tag), tap.token(p_tag), 'wamid.' || p_tag, p_at)::text
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('p_night', scheduling.create_reminder_policy('quiet nights', '{12 hours 30 minutes}', NULL, '22:00', '07:00')),
('p_short', scheduling.create_reminder_policy('quiet short', '{8 hours 30 minutes}', NULL, '22:00', '07:00')),
('p_retry', scheduling.create_reminder_policy('quiet retry', '{13 hours 10 minutes}', NULL, '22:00', '07:00')),
('p_open', scheduling.create_reminder_policy('never quiet', '{1 hour}'));

-- Kolkata (+05:30, no DST), quiet 22:00-07:00. Asha's reminder is due at 21:30, Bina's too (her appointment is
-- at 06:00); no worker runs until 23:00.
SELECT pg_temp.book('asha', '+919812345601', 'Asia/Kolkata', 'quiet nights', '2026-03-11 04:30Z');
SELECT pg_temp.book('bina', '+919812345602', 'Asia/Kolkata', 'quiet short', '2026-03-11 00:30Z');
SELECT is(
    (pg_temp.row_of('asha')).next_attempt_at, '2026-03-10 21:30 Asia/Kolkata'::timestamptz,
    'setup: Asha''s reminder is planned at 21:30 local, outside the quiet hours'
);
SELECT is(pg_temp.claim('2026-03-10 23:00 Asia/Kolkata'), '', 'a worker back at 23:00 local hands out nothing');
SELECT results_eq(
    $$SELECT r.state::text, r.next_attempt_at, r.attempts, r.state_reason FROM pg_temp.row_of('asha') AS r$$,
    $$VALUES ('pending'::text, '2026-03-11 07:00 Asia/Kolkata'::timestamptz, 0,
        'quiet hours 22:00-07:00 (reminder policy quiet nights) at Tuesday 10 March 2026, 23:00 (Asia/Kolkata): '
        'held until Wednesday 11 March 2026, 07:00 (Asia/Kolkata)'::text)$$,
    'the late reminder waits, pending, for the end of the quiet hours the next morning, with the local times'
);
SELECT results_eq(
    $$SELECT r.state::text, r.state_reason FROM pg_temp.row_of('bina') AS r$$,
    $$VALUES ('expired'::text,
        'quiet hours 22:00-07:00 (reminder policy quiet short) at Tuesday 10 March 2026, 23:00 (Asia/Kolkata): '
        'they end Wednesday 11 March 2026, 07:00 (Asia/Kolkata), not before the deadline Wednesday 11 March 2026, '
        '06:00 (Asia/Kolkata)'::text)$$,
    'quiet hours ending after the deadline (the 06:00 appointment): expired, and the reason says why'
);
SELECT is(
    (
        SELECT to_state::text FROM scheduling.reminder_state_history
        WHERE reminder_id = tap.rid('bina')
        ORDER BY id DESC LIMIT 1
    ),
    'expired', 'the expiry is in the history'
);
SELECT is(pg_temp.claim('2026-03-11 06:59 Asia/Kolkata'), '', 'at 06:59 local still nothing');
SELECT is(pg_temp.claim('2026-03-11 07:00 Asia/Kolkata'), 'asha/reminder:1', 'at 07:00 local it is handed out');
SELECT is(pg_temp.sent('asha', '2026-03-11 07:00:01 Asia/Kolkata'), 'sent', 'setup: Asha''s reminder sent');

-- A leased row whose lease expires inside the quiet hours is released until they end, not re-claimed.
SELECT pg_temp.book('chitra', '+919812345603', 'Asia/Kolkata', 'quiet nights', '2026-03-12 04:30Z');
SELECT is(
    pg_temp.claim('2026-03-11 21:50 Asia/Kolkata', '60 seconds'), 'chitra/reminder:1',
    'setup: Chitra''s reminder claimed at 21:50 local, never recorded'
);
SELECT is(pg_temp.claim('2026-03-11 22:30 Asia/Kolkata'), '', 'its lease expired at 21:51: not re-claimed at 22:30');
SELECT results_eq(
    $$SELECT r.state::text, r.next_attempt_at, r.lease_expires_at, r.attempt_token, r.lease_expiries, r.uncertain,
        r.attempts, left(r.state_reason, 33)
    FROM pg_temp.row_of('chitra') AS r$$,
    $$VALUES ('pending'::text, '2026-03-12 07:00 Asia/Kolkata'::timestamptz, NULL::timestamptz, NULL::uuid, 1, TRUE,
        0, 'lease expired; quiet hours 22:00-'::text)$$,
    'released to pending until 07:00: lease and token cleared, one lease expiry, uncertain, no attempt used'
);
SELECT is(pg_temp.claim('2026-03-12 07:00 Asia/Kolkata'), 'chitra/reminder:1', 'handed out at 07:00 local');
SELECT is(pg_temp.sent('chitra', '2026-03-12 07:00:01 Asia/Kolkata'), 'sent', 'setup: Chitra''s reminder sent');

-- Berlin, the night the clocks go forward (2026-03-29 02:00 CET -> 03:00 CEST): 22:00 CET to 07:00 CEST.
SELECT pg_temp.book('dora', '+4915112345601', 'Europe/Berlin', 'quiet nights', '2026-03-29 10:00 Europe/Berlin');
SELECT is(pg_temp.claim('2026-03-28 23:00 Europe/Berlin'), '', 'Berlin, 23:00 CET: nothing handed out');
SELECT is(
    (pg_temp.row_of('dora')).next_attempt_at, '2026-03-29 05:00Z'::timestamptz,
    'moved to 07:00 CEST (05:00 UTC), not 07:00 at the evening''s offset (06:00 UTC)'
);
SELECT is(pg_temp.claim('2026-03-29 06:59 Europe/Berlin'), '', '06:59 CEST: still quiet');
SELECT is(pg_temp.claim('2026-03-29 07:00 Europe/Berlin'), 'dora/reminder:1', '07:00 CEST: handed out');
SELECT is(pg_temp.sent('dora', '2026-03-29 07:00:01 Europe/Berlin'), 'sent', 'setup: Dora''s reminder sent');

-- Berlin, the night the clocks go back (2026-10-25 03:00 CEST -> 02:00 CET): a retry falls due at 22:00:0x.
SELECT pg_temp.book('emil', '+4915112345602', 'Europe/Berlin', 'quiet retry', '2026-10-25 10:00 Europe/Berlin');
SELECT is(
    pg_temp.claim('2026-10-24 21:59 Europe/Berlin'), 'emil/reminder:1', 'setup: Emil''s reminder claimed at 21:59'
);
SELECT is(
    scheduling.record_reminder_failure(
        tap.rid('emil'), tap.token('emil'), '131000', 'try again', TRUE, '2026-10-24 21:59:58 Europe/Berlin'
    )::text,
    'pending', 'setup: a retryable failure at 21:59:58, retried a few seconds later, inside the quiet hours'
);
CREATE TEMPORARY TABLE pacing_before AS SELECT * FROM scheduling.recipient_pacing;
SELECT is(pg_temp.claim('2026-10-24 22:01 Europe/Berlin'), '', 'the retry due at 22:00:0x is not handed out at 22:01');
SELECT results_eq(
    $$SELECT r.state::text, r.next_attempt_at, r.attempts, r.lease_expiries FROM pg_temp.row_of('emil') AS r$$,
    $$VALUES ('pending'::text, '2026-10-25 06:00Z'::timestamptz, 1, 0)$$,
    'moved to 07:00 CET (06:00 UTC) after the clocks went back; attempts still 1 (no attempt burnt)'
);
SELECT alike(
    (pg_temp.row_of('emil')).state_reason, '%held until Sunday 25 October 2026, 07:00 (Europe/Berlin)',
    'the reason gives the local end'
);
SELECT set_eq(
    'SELECT * FROM scheduling.recipient_pacing', 'SELECT * FROM pacing_before',
    'deferring leaves recipient_pacing alone'
);
SELECT is(
    pg_temp.claim('2026-10-25 07:00 Europe/Berlin'), 'emil/reminder:2', 'handed out at 07:00 CET as attempt 2'
);
SELECT is(pg_temp.sent('emil', '2026-10-25 07:00:01 Europe/Berlin'), 'sent', 'setup: Emil''s reminder sent');

-- A cancellation message (the 'default' policy, for a session without one, given quiet hours here).
UPDATE scheduling.reminder_policies SET quiet_start = '22:00', quiet_end = '07:00'
WHERE name = 'default';
SELECT pg_temp.book('farah', '+919812345604', 'Asia/Kolkata', NULL, '2026-06-20 12:00Z');
SELECT lives_ok(
    $$SELECT scheduling.cancel_booking(tap.sid('farah'), 'ill', 'x', '2026-06-10 23:00 Asia/Kolkata')$$,
    'setup: Farah cancels at 23:00 local; her cancellation message is due at once'
);
SELECT is(pg_temp.claim('2026-06-10 23:00 Asia/Kolkata'), '', 'the cancellation message is not handed out at 23:00');
SELECT results_eq(
    $$SELECT r.state::text, r.next_attempt_at FROM pg_temp.row_of('farah', 'cancellation') AS r$$,
    $$VALUES ('pending'::text, '2026-06-11 07:00 Asia/Kolkata'::timestamptz)$$,
    'it waits until 07:00 local (the default policy''s quiet hours)'
);
SELECT is(
    pg_temp.claim('2026-06-11 07:00 Asia/Kolkata'), 'farah/cancellation:1', 'and is handed out at 07:00 local'
);
SELECT is(
    scheduling.record_reminder_sent(
        (pg_temp.row_of('farah', 'cancellation')).id, (pg_temp.row_of('farah', 'cancellation')).attempt_token,
        'wamid.farah', '2026-06-11 07:00:01 Asia/Kolkata'
    )::text,
    'sent', 'setup: the cancellation message sent'
);

-- Poison rows: claimed, lease expired, again and again (never quiet).
SELECT pg_temp.book('gita', '+919812345605', 'Asia/Kolkata', 'never quiet', '2026-12-01 12:00Z');
SELECT is(pg_temp.claim('2026-12-01 11:00Z', '60 seconds'), 'gita/reminder:1', 'setup: claimed, never recorded');
SELECT is(pg_temp.claim('2026-12-01 11:02Z', '60 seconds'), 'gita/reminder:1', 'first expiry: re-claimed');
SELECT results_eq(
    $$SELECT r.state::text, r.lease_expiries, r.uncertain FROM pg_temp.row_of('gita') AS r$$,
    $$VALUES ('leased'::text, 1, TRUE)$$,
    'below the limit: re-claimed as before, flagged uncertain, one expiry counted'
);
SELECT is(pg_temp.claim('2026-12-01 11:04Z', '60 seconds'), 'gita/reminder:1', 'second expiry: re-claimed');
SELECT is(pg_temp.claim('2026-12-01 11:06Z', '60 seconds'), '', 'third expiry: not handed out again');
SELECT results_eq(
    $$SELECT r.state::text, r.lease_expiries, r.attempt_token, r.lease_expires_at, r.state_reason
    FROM pg_temp.row_of('gita') AS r$$,
    $$VALUES ('failed'::text, 3, NULL::uuid, NULL::timestamptz,
        'lease expired 3 times without an outcome being recorded: the message may crash the worker (last claimed '
        'by w, lease ran out Tuesday 1 December 2026, 16:35 (Asia/Kolkata)); sessionkeeper retry-failed re-queues it'
        ::text)$$,
    'failed, with the count and the reason'
);
SELECT is((SELECT failed FROM scheduling.queue_stats), 1, 'queue_stats.failed counts it');
SELECT is(
    scheduling.retry_failed_reminders(p_actor => 'ops', p_now => '2026-12-01 11:07Z'), 1,
    'retry_failed_reminders re-queues it'
);
SELECT results_eq(
    $$SELECT r.state::text, r.lease_expiries FROM pg_temp.row_of('gita') AS r$$,
    $$VALUES ('pending'::text, 0)$$,
    'pending again, its count reset'
);
SELECT is(pg_temp.claim('2026-12-01 11:07Z', '60 seconds'), 'gita/reminder:1', 'and handed out again');
SELECT is(pg_temp.sent('gita', '2026-12-01 11:07:01Z'), 'sent', 'setup: Gita''s reminder sent');

-- The setting.
SELECT throws_ok(
    'SELECT scheduling.set_max_lease_expiries(0)', 'SK039',
    'set_max_lease_expiries: the number of lease expiries must be 1 or more, not 0', '0 expiries: SK039'
);
SELECT throws_ok('SELECT scheduling.set_max_lease_expiries(-2)', 'SK039', NULL, 'negative: SK039');
SELECT throws_ok('SELECT scheduling.set_max_lease_expiries(NULL)', 'SK039', NULL, 'NULL: SK039');
SELECT is(
    (SELECT max_lease_expiries FROM scheduling.worker_settings), 3, 'the refused calls changed nothing (default 3)'
);
SELECT lives_ok('SELECT scheduling.set_max_lease_expiries(1)', 'set to 1');
SELECT pg_temp.book('hari', '+919812345606', 'Asia/Kolkata', 'never quiet', '2026-12-02 12:00Z');
SELECT is(pg_temp.claim('2026-12-02 11:00Z', '60 seconds'), 'hari/reminder:1', 'setup: claimed, never recorded');
SELECT is(pg_temp.claim('2026-12-02 11:02Z'), '', 'with a limit of 1, the first expiry fails the row');
SELECT alike(
    (pg_temp.row_of('hari')).state_reason, 'lease expired 1 time without an outcome being recorded: %',
    'its reason'
);

SELECT * FROM finish();
ROLLBACK;
