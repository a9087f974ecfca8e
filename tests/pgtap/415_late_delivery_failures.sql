-- Late delivery failures: a failed delivery report for a row already sent. A final code makes it undelivered
-- (counted apart from completed by queue_stats), a retryable one puts it back to pending by the backoff of a
-- failed send (then failed after the last retry, expired at the deadline); a report for a row that is not sent
-- changes no state; a report stored before the send follows the same rule; a replay does nothing.
BEGIN;
SELECT plan(34);
SET LOCAL timezone = 'UTC';

-- One customer per booking (in Kolkata, so the reasons show its local time), an appointment at 10:00Z on
-- 1 June 2031 + p_day days, its one reminder due at 09:00Z (default policy; the deadline is the start).
CREATE FUNCTION pg_temp.book(p_tag text, p_day integer) RETURNS uuid
LANGUAGE sql AS $$
    SELECT tap.book(
        p_tag, scheduling.create_person(p_tag, '+9198765432' || lpad(p_day::text, 2, '0'), 'Asia/Kolkata', TRUE),
        '2031-06-01 10:00Z'::timestamptz + make_interval(days => p_day), NULL, '2031-05-01 00:00Z'
    )
$$;
-- The worker claims everything due at p_at; the booking tags claimed.
CREATE FUNCTION pg_temp.claim(p_at timestamptz) RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce(string_agg(t.tag, ',' ORDER BY t.tag), '')
    FROM scheduling.claim_due_reminders('w', 50, '1 hour', p_at) AS c
    INNER JOIN scheduling.reminders AS r ON c.reminder_id = r.id
    INNER JOIN tap.ids AS t ON r.booking_id = t.id
$$;
CREATE FUNCTION pg_temp.sent(p_tag text, p_message_id text, p_at timestamptz) RETURNS text
LANGUAGE sql AS $$
    SELECT scheduling.record_reminder_sent(tap.rid(p_tag), tap.token(p_tag), p_message_id, p_at)::text
$$;
-- The webhook's failed report (WhatsApp), received a second after the provider's time.
CREATE FUNCTION pg_temp.failed(p_message_id text, p_code text, p_retryable boolean, p_at timestamptz) RETURNS text
LANGUAGE sql AS $$
    SELECT scheduling.record_delivery_status(
        'whatsapp', p_message_id, 'failed', p_at, p_code, 'error ' || p_code, p_at + interval '1 second',
        p_retryable
    )
$$;
CREATE FUNCTION pg_temp.row_of(p_tag text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(
        ' | ', r.state, r.attempts, r.next_attempt_at, r.attempt_token IS NULL, r.last_error_code,
        r.delivery_status, r.delivery_error_code, r.updated_at
    )
    FROM scheduling.reminders AS r WHERE r.id = tap.rid(p_tag)
$$;
CREATE FUNCTION pg_temp.reason(p_tag text) RETURNS text
LANGUAGE sql STABLE AS $$SELECT r.state_reason FROM scheduling.reminders AS r WHERE r.id = tap.rid(p_tag)$$;
CREATE FUNCTION pg_temp.history(p_tag text) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT count(*)::integer FROM scheduling.reminder_state_history AS h WHERE h.reminder_id = tap.rid(p_tag)
$$;
-- queue_stats counts at now(): compared before and after, whatever other rows the database holds.
CREATE TEMPORARY TABLE t_stats_before AS
SELECT
    q.completed,
    q.undelivered
FROM scheduling.queue_stats AS q;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin'));
SELECT pg_temp.book(v.tag, v.day)
FROM (
    VALUES ('final', 0), ('retry', 1), ('gaveup', 2), ('deadline', 3), ('cancelled', 4), ('early', 5),
    ('early_final', 6)
) AS v (tag, day);

-- A final code: undelivered, with the code, message and local time; not completed.
SELECT pg_temp.claim('2031-06-01 09:00Z');
SELECT pg_temp.sent('final', 'wamid.FINAL', '2031-06-01 09:00:01Z');
SELECT is(pg_temp.failed('wamid.FINAL', '131026', FALSE, '2031-06-01 09:00:30Z'), 'applied', 'final: applied');
SELECT is(
    pg_temp.row_of('final'),
    'undelivered | 1 | 2031-06-01 09:00:00+00 | f | 131026 | failed | 131026 | 2031-06-01 09:00:31+00',
    'a final code: undelivered, the error kept, updated when the report arrived'
);
SELECT is(
    pg_temp.reason('final'),
    'delivery failed: 131026 error 131026, reported for Sunday 1 June 2031, 14:30 (Asia/Kolkata)',
    'the reason gives the code, the message and the time in the recipient''s time zone'
);
SELECT results_eq(
    $$SELECT from_state::text, to_state::text, happened_at FROM scheduling.reminder_state_history
    WHERE reminder_id = tap.rid('final') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('sent'::text, 'undelivered'::text, '2031-06-01 09:00:31Z'::timestamptz)$$,
    'the state change is in the history'
);
SELECT results_eq(
    $$SELECT q.completed - b.completed, q.undelivered - b.undelivered
    FROM scheduling.queue_stats AS q CROSS JOIN t_stats_before AS b$$,
    $$VALUES (0, 1)$$,
    'queue_stats counts it as undelivered, not completed'
);
SELECT is(
    pg_temp.failed('wamid.FINAL', '131026', FALSE, '2031-06-01 09:00:30Z') || ' ' || pg_temp.history('final'),
    'duplicate 4', 'the same report again: duplicate, no new history row'
);
SELECT is(
    pg_temp.row_of('final'),
    'undelivered | 1 | 2031-06-01 09:00:00+00 | f | 131026 | failed | 131026 | 2031-06-01 09:00:31+00',
    'and the row is unchanged'
);
SELECT is(
    pg_temp.sent('final', 'wamid.FINAL', '2031-06-01 09:02:00Z'), 'undelivered',
    'the worker recording the same send again changes nothing'
);

-- A retryable code: pending again with the backoff of a failed send, counted from the report's arrival.
SELECT pg_temp.claim('2031-06-02 09:00Z');
SELECT pg_temp.sent('retry', 'wamid.R1', '2031-06-02 09:00:01Z');
SELECT is(pg_temp.failed('wamid.R1', '131000', TRUE, '2031-06-02 09:00:20Z'), 'applied', 'retryable: applied');
SELECT is(
    pg_temp.row_of('retry'),
    'pending | 1 | 2031-06-02 09:00:26+00 | t | 131000 | failed | 131000 | 2031-06-02 09:00:21+00',
    'pending again 5 s after the report arrived, the attempt token cleared, the send''s attempt not counted twice'
);
SELECT is(
    pg_temp.reason('retry'),
    'delivery failed: 131000 error 131000, reported for Monday 2 June 2031, 14:30 (Asia/Kolkata); '
    || 'retry 1 of 5 at Monday 2 June 2031, 14:30 (Asia/Kolkata)',
    'the reason says why and when it is retried'
);
SELECT is(pg_temp.claim('2031-06-02 09:00:25Z'), '', 'not claimable before its retry time');
SELECT is(pg_temp.claim('2031-06-02 09:00:26Z'), 'retry', 'claimed at its retry time');
SELECT is(pg_temp.sent('retry', 'wamid.R2', '2031-06-02 09:00:27Z'), 'sent', 'sent again');
SELECT is(
    pg_temp.row_of('retry'),
    'sent | 2 | 2031-06-02 09:00:26+00 | f | 131000 | 2031-06-02 09:00:27+00',
    'the first message''s delivery columns are cleared (its error stays the last error)'
);
SELECT is(pg_temp.failed('wamid.R2', '131000', TRUE, '2031-06-02 09:00:40Z'), 'applied', 'the resend fails too');
SELECT is(
    pg_temp.row_of('retry'),
    'pending | 2 | 2031-06-02 09:01:06+00 | t | 131000 | failed | 131000 | 2031-06-02 09:00:41+00',
    'second failure: 25 s'
);
SELECT is(
    pg_temp.failed('wamid.R1', '131000', TRUE, '2031-06-02 09:00:20Z'), 'duplicate',
    'the first message''s report replayed: duplicate'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.R2', 'delivered', '2031-06-02 09:00:50Z', p_now => '2031-06-02 09:00:51Z'
    ),
    'applied', 'then the provider reports the resend delivered after all'
);
SELECT is(
    pg_temp.row_of('retry') || ' / ' || pg_temp.reason('retry'),
    'sent | 2 | 2031-06-02 09:01:06+00 | t | 131000 | delivered | 131000 | 2031-06-02 09:00:51+00 / '
    || 'delivered after all: delivered reported for Monday 2 June 2031, 14:30 (Asia/Kolkata)',
    'proof of delivery puts the pending row back to sent: no third send'
);

-- After the last retry: failed.
UPDATE scheduling.reminders SET attempts = 5
WHERE id = tap.rid('gaveup');
SELECT pg_temp.claim('2031-06-03 09:00Z');
SELECT pg_temp.sent('gaveup', 'wamid.GAVEUP', '2031-06-03 09:00:01Z');
SELECT pg_temp.failed('wamid.GAVEUP', '131000', TRUE, '2031-06-03 09:00:30Z');
SELECT is(
    pg_temp.row_of('gaveup') || ' / ' || pg_temp.reason('gaveup'),
    'failed | 6 | 2031-06-03 09:00:00+00 | f | 131000 | failed | 131000 | 2031-06-03 09:00:31+00 / '
    || 'delivery failed: 131000 error 131000, reported for Tuesday 3 June 2031, 14:30 (Asia/Kolkata); '
    || 'gave up after 6 attempts',
    'a retryable failure of the 6th attempt: failed'
);

-- A retry at or after the deadline: expired.
SELECT pg_temp.claim('2031-06-04 09:00Z');
SELECT pg_temp.sent('deadline', 'wamid.DEADLINE', '2031-06-04 09:00:01Z');
SELECT pg_temp.failed('wamid.DEADLINE', '131000', TRUE, '2031-06-04 09:59:55Z');
SELECT is(
    pg_temp.row_of('deadline') || ' / ' || pg_temp.reason('deadline'),
    'expired | 1 | 2031-06-04 09:00:00+00 | f | 131000 | failed | 131000 | 2031-06-04 09:59:56+00 / '
    || 'delivery failed: 131000 error 131000, reported for Wednesday 4 June 2031, 15:29 (Asia/Kolkata); '
    || 'retry at Wednesday 4 June 2031, 15:30 (Asia/Kolkata) would be past the deadline '
    || 'Wednesday 4 June 2031, 15:30 (Asia/Kolkata)',
    'a retry that would land at the deadline: expired'
);

-- A row that is not sent: cancelled while the worker held it, then sent anyway. Its state stays.
SELECT pg_temp.claim('2031-06-05 09:00Z');
SELECT scheduling.cancel_booking(tap.sid('cancelled'), 'changed plans', 'x', '2031-06-05 09:00:01Z');
SELECT is(
    pg_temp.sent('cancelled', 'wamid.CANCELLED', '2031-06-05 09:00:02Z'), 'cancelled', 'setup: sent anyway'
);
SELECT is(
    pg_temp.failed('wamid.CANCELLED', '131000', TRUE, '2031-06-05 09:00:30Z') || ' ' || pg_temp.history('cancelled'),
    'applied 3', 'a failed report for a cancelled row: applied, no state change (planned, leased, cancelled)'
);
SELECT is(
    pg_temp.row_of('cancelled'),
    'cancelled | 1 | 2031-06-05 09:00:00+00 | f | failed | 131000 | 2031-06-05 09:00:02+00',
    'only its delivery columns changed'
);

-- Reports that arrive before the worker records the send: applied then, by the verdict they came with.
SELECT pg_temp.claim('2031-06-06 09:00Z');
SELECT is(
    pg_temp.failed('wamid.EARLY', '131000', TRUE, '2031-06-06 09:00:01Z'), 'unmatched', 'early: stored unmatched'
);
SELECT is(
    (
        SELECT e.retryable FROM scheduling.provider_events AS e
        WHERE e.provider_message_id = 'wamid.EARLY'
    ), TRUE,
    'with the webhook''s verdict'
);
SELECT is(
    pg_temp.sent('early', 'wamid.EARLY', '2031-06-06 09:00:03Z'), 'pending',
    'record_reminder_sent applies it and returns the state it ends in'
);
SELECT is(
    pg_temp.row_of('early'),
    'pending | 1 | 2031-06-06 09:00:08+00 | t | 131000 | failed | 131000 | 2031-06-06 09:00:03+00',
    'pending again 5 s after the send was recorded'
);
-- Sent, re-queued by a retryable late failure, claimed again and cancelled while claimed: the worker's resend
-- is recorded (another provider id than the first send's) and flagged; the same send again changes nothing,
-- a third id is refused.
SELECT pg_temp.claim('2031-06-06 09:00:10Z');
SELECT scheduling.cancel_booking(tap.sid('early'), 'changed plans', 'x', '2031-06-06 09:00:11Z');
SELECT is(
    pg_temp.sent('early', 'wamid.EARLY2', '2031-06-06 09:00:12Z'), 'cancelled',
    'a resend recorded after the cancel keeps the cancelled state'
);
SELECT results_eq(
    $$SELECT r.provider_message_id, r.sent_at, r.uncertain, r.attempts FROM scheduling.reminders AS r
    WHERE r.id = tap.rid('early')$$,
    $$VALUES ('wamid.EARLY2', '2031-06-06 09:00:12Z'::timestamptz, TRUE, 2)$$,
    'the resend is recorded over the first send and flagged uncertain'
);
SELECT throws_ok(
    $$SELECT pg_temp.sent('early', 'wamid.EARLY3', '2031-06-06 09:00:13Z')$$,
    'SK018', NULL, 'a third provider id for the same claim is refused'
);

SELECT pg_temp.claim('2031-06-07 09:00Z');
SELECT pg_temp.failed('wamid.EARLY_FINAL', '131047', FALSE, '2031-06-07 09:00:01Z');
SELECT is(
    pg_temp.sent('early_final', 'wamid.EARLY_FINAL', '2031-06-07 09:00:03Z'), 'undelivered',
    'an early final report: undelivered once the send is recorded'
);
SELECT is(
    pg_temp.row_of('early_final'),
    'undelivered | 1 | 2031-06-07 09:00:00+00 | f | 131047 | failed | 131047 | 2031-06-07 09:00:03+00',
    'with its error'
);

SELECT * FROM finish();
ROLLBACK;
