-- The worker's functions: claim (lease, token, rendering, re-check), record send and failure (backoff, failed,
-- expired), release, stale tokens.
BEGIN;
SELECT plan(38);

-- The state of a booking tag's reminder row (tap.rid: its first one).
CREATE FUNCTION pg_temp.row_of(p_tag text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s/%s/%s/%s', r.state, r.attempts, r.attempt_token, r.next_attempt_at)
    FROM scheduling.reminders AS r WHERE r.id = tap.rid(p_tag)
$$;
-- Claim everything due at p_at, then fail the given booking's row (retryable); the delay until the next try.
CREATE FUNCTION pg_temp.claim_and_fail(p_tag text, p_at timestamptz) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_token uuid;
    v_state text;
BEGIN
    SELECT c.attempt_token INTO v_token
    FROM scheduling.claim_due_reminders('w', 50, '60 seconds', p_at) AS c
    WHERE c.reminder_id = tap.rid(p_tag);
    v_state := scheduling.record_reminder_failure(tap.rid(p_tag), v_token, '130429', 'throttled', TRUE, p_at);
    RETURN v_state || ' ' || coalesce(
        (SELECT (r.next_attempt_at - p_at)::text FROM scheduling.reminders AS r WHERE r.id = tap.rid(p_tag)), ''
    );
END;
$$;
-- An appointment with the person tagged p_person, booked on 2026-11-01.
CREATE FUNCTION pg_temp.book(p_tag text, p_person text, p_policy text, p_starts_at timestamptz) RETURNS uuid
LANGUAGE sql AS $$SELECT tap.book(p_tag, tap.sid(p_person), p_starts_at, p_policy, '2026-11-01 00:00Z')$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann Smith', '+4915112345679', 'Europe/Berlin', TRUE)),
('nophone', scheduling.create_person('No Phone', NULL, 'Europe/Berlin', TRUE)),
('noconsent', scheduling.create_person('No Consent', '+4915112345680', 'Europe/Berlin', TRUE)),
('gone', scheduling.create_person('Gone', '+4915112345681', 'Europe/Berlin', TRUE)),
('p_day', scheduling.create_reminder_policy('a day before', '{1 day}'));
SELECT pg_temp.book('main', 'ann', NULL, '2026-11-23 09:00Z');

-- Claim: not before it is due; then leased with a token, parameters rendered in the recipient's zone.
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w1', 50, '60 seconds', '2026-11-23 07:59:59Z')),
    0, 'nothing is claimed before it is due'
);
CREATE TEMP TABLE t_c AS
SELECT * FROM scheduling.claim_due_reminders('w1', 50, '60 seconds', '2026-11-23 08:00:10Z');
SELECT results_eq(
    $$SELECT reminder_id, attempt, kind, recipient_phone, recipient_name, recipient_time_zone, template_name,
        language, whatsapp_template_name, due_at, deadline_at FROM t_c$$,
    $$VALUES (tap.rid('main'), 1, 'reminder'::text, '+4915112345679'::text, 'Ann Smith'::text,
        'Europe/Berlin'::text, 'session_reminder'::text, 'en'::text, 'session_reminder'::text,
        '2026-11-23 08:00Z'::timestamptz, '2026-11-23 09:00Z'::timestamptz)$$,
    'claim returns the due row with what the sender needs'
);
SELECT is(
    (SELECT body_parameters FROM t_c),
    '["Ann Smith", "Haircut", "Hugo Host", "1 hour", "Monday 23 November 2026, 10:00 (Europe/Berlin)"]'::jsonb,
    'body parameters in parameter_names order, date and time in the recipient''s zone, time until rounded'
);
SELECT is(
    (SELECT rendered_text FROM t_c),
    'Hello Ann Smith! This is a reminder: your session "Haircut" with Hugo Host starts in 1 hour, on '
    || 'Monday 23 November 2026, 10:00 (Europe/Berlin).',
    'rendered_text fills the template body'
);
SELECT results_eq(
    $$SELECT state::text, leased_by, lease_expires_at, attempt_token, attempts
    FROM scheduling.reminders WHERE id = tap.rid('main')$$,
    $$SELECT 'leased'::text, 'w1'::text, '2026-11-23 08:01:10Z'::timestamptz, attempt_token, 0 FROM t_c$$,
    'the row is leased to the worker until p_now + lease, under the returned token; attempts not yet counted'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w2', 50, '60 seconds', '2026-11-23 08:01:00Z')),
    0, 'a leased row is not claimed again while its lease runs'
);

-- The lease expires: claimed again with a new token; the old token is refused everywhere.
CREATE TEMP TABLE t_c2 AS
SELECT * FROM scheduling.claim_due_reminders('w2', 50, '60 seconds', '2026-11-23 08:01:10Z');
SELECT results_eq(
    $$SELECT c2.reminder_id, c2.attempt, c2.attempt_token <> c.attempt_token FROM t_c2 AS c2, t_c AS c$$,
    $$VALUES (tap.rid('main'), 1, TRUE)$$,
    'once the lease expired the row is claimed again, with a new token and the same attempt number'
);
CREATE TEMP TABLE t_before AS SELECT pg_temp.row_of('main') AS r;
SELECT throws_ok(
    $$SELECT scheduling.record_reminder_sent(tap.rid('main'), (SELECT attempt_token FROM t_c), 'wamid.x',
        '2026-11-23 08:01:20Z')$$,
    'SK018', NULL, 'record_reminder_sent with the stale token: SK018'
);
SELECT throws_ok(
    $$SELECT scheduling.record_reminder_failure(tap.rid('main'), (SELECT attempt_token FROM t_c), '1', 'x',
        TRUE, '2026-11-23 08:01:20Z')$$,
    'SK018', NULL, 'record_reminder_failure with the stale token: SK018'
);
SELECT throws_ok(
    $$SELECT scheduling.release_reminder(tap.rid('main'), (SELECT attempt_token FROM t_c), NULL, NULL,
        '2026-11-23 08:01:20Z')$$,
    'SK018', NULL, 'release_reminder with the stale token: SK018'
);
SELECT throws_ok(
    $$SELECT scheduling.release_reminder(tap.rid('main'), gen_random_uuid(), NULL, NULL, '2026-11-23 08:01:20Z')$$,
    'SK018', NULL, 'release_reminder with a wrong token: SK018'
);
SELECT throws_ok(
    $$SELECT scheduling.record_reminder_sent(gen_random_uuid(), gen_random_uuid(), 'x', '2026-11-23 08:01:20Z')$$,
    'SK019', NULL, 'an unknown reminder: SK019'
);
SELECT is(pg_temp.row_of('main'), (SELECT r FROM t_before), 'refused records changed nothing');

-- Release: back to pending without burning an attempt.
SELECT is(
    scheduling.release_reminder(
        tap.rid('main'), (SELECT attempt_token FROM t_c2), '2026-11-23 08:05Z', 'rate limited',
        '2026-11-23 08:01:20Z'
    )::text,
    'pending', 'release_reminder gives the row back'
);
SELECT results_eq(
    $$SELECT state::text, attempts, next_attempt_at, attempt_token, state_reason
    FROM scheduling.reminders WHERE id = tap.rid('main')$$,
    $$VALUES ('pending'::text, 0, '2026-11-23 08:05Z'::timestamptz, NULL::uuid, 'released: rate limited'::text)$$,
    'released: pending at p_retry_at, token cleared, no attempt burnt'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w2', 50, '60 seconds', '2026-11-23 08:04Z')),
    0, 'a released row waits for its retry time'
);
DELETE FROM t_c2;
INSERT INTO t_c2 SELECT * FROM scheduling.claim_due_reminders('w2', 50, '60 seconds', '2026-11-23 08:05Z');
SELECT is((SELECT attempt FROM t_c2), 1, 'claimed again after the release: still attempt 1');

-- Send.
SELECT is(
    scheduling.record_reminder_sent(
        tap.rid('main'), (SELECT attempt_token FROM t_c2), 'wamid.1', '2026-11-23 08:05:01Z'
    )::text,
    'sent', 'record_reminder_sent returns sent'
);
SELECT results_eq(
    $$SELECT state::text, attempts, provider_message_id, sent_at, lease_expires_at
    FROM scheduling.reminders WHERE id = tap.rid('main')$$,
    $$VALUES ('sent'::text, 1, 'wamid.1'::text, '2026-11-23 08:05:01Z'::timestamptz, NULL::timestamptz)$$,
    'sent: attempts 1, provider id and sent_at kept, lease cleared'
);
SELECT is(
    scheduling.record_reminder_sent(
        tap.rid('main'), (SELECT attempt_token FROM t_c2), 'wamid.1', '2026-11-23 08:05:02Z'
    )::text,
    'sent', 'recording the same send again is harmless'
);
SELECT throws_ok(
    $$SELECT scheduling.record_reminder_failure(tap.rid('main'), (SELECT attempt_token FROM t_c2), '1', 'x',
        TRUE, '2026-11-23 08:05:03Z')$$,
    'SK018', NULL, 'a failure after the send was recorded: SK018'
);

-- The exact backoff: 5 s, 25 s, 125 s, 625 s, 3125 s, then failed. Without recipient spacing here: its 6 s
-- would hold the 5 s retry back by a second (160_recipient_pacing.sql tests the spacing).
UPDATE scheduling.worker_settings SET recipient_spacing = '0 seconds';
SELECT pg_temp.book('backoff', 'ann', 'a day before', '2026-11-24 09:00Z');
SELECT is(pg_temp.claim_and_fail('backoff', '2026-11-23 09:00Z'), 'pending 00:00:05', '1st failure: retry in 5 s');
SELECT is(pg_temp.claim_and_fail('backoff', '2026-11-23 09:00:05Z'), 'pending 00:00:25', '2nd failure: 25 s');
SELECT is(pg_temp.claim_and_fail('backoff', '2026-11-23 09:00:30Z'), 'pending 00:02:05', '3rd failure: 125 s');
SELECT is(pg_temp.claim_and_fail('backoff', '2026-11-23 09:02:35Z'), 'pending 00:10:25', '4th failure: 625 s');
SELECT is(pg_temp.claim_and_fail('backoff', '2026-11-23 09:13:00Z'), 'pending 00:52:05', '5th failure: 3125 s');
SELECT is(
    pg_temp.claim_and_fail('backoff', '2026-11-23 10:05:05Z'), 'failed 00:00:00', '6th failure: failed'
);
SELECT results_eq(
    $$SELECT state::text, attempts, last_error_code, last_error_message, state_reason
    FROM scheduling.reminders WHERE id = tap.rid('backoff')$$,
    $$VALUES ('failed'::text, 6, '130429'::text, 'throttled'::text, 'gave up after 6 attempts'::text)$$,
    'failed after 6 attempts, the provider''s code and message kept'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminder_state_history
        WHERE reminder_id = tap.rid('backoff')
    ),
    13, 'every state change has a history row (planned, 6 leases, 5 retries, failed)'
);
UPDATE scheduling.worker_settings SET recipient_spacing = '6 seconds';

-- Permanent failure: failed at once.
SELECT pg_temp.book('permanent', 'ann', 'a day before', '2026-11-25 09:00Z');
DELETE FROM t_c;
INSERT INTO t_c SELECT * FROM scheduling.claim_due_reminders('w', 50, '60 seconds', '2026-11-24 09:00Z');
SELECT is(
    scheduling.record_reminder_failure(
        tap.rid('permanent'), tap.token('permanent'), '131026', 'not on WhatsApp', FALSE, '2026-11-24 09:00Z'
    )::text,
    'failed', 'a permanent error fails the row at once'
);
SELECT is(
    (
        SELECT last_error_code || ' ' || state_reason FROM scheduling.reminders
        WHERE id = tap.rid('permanent')
    ),
    '131026 permanent error 131026', 'with the provider''s code'
);

-- A retry landing at or after the deadline: expired.
SELECT pg_temp.book('late', 'ann', NULL, '2026-11-26 09:00Z');
DELETE FROM t_c;
INSERT INTO t_c SELECT * FROM scheduling.claim_due_reminders('w', 50, '60 seconds', '2026-11-26 08:59:50Z');
SELECT is(
    scheduling.record_reminder_failure(
        tap.rid('late'), tap.token('late'), '500', 'server error', TRUE, '2026-11-26 08:59:56Z'
    )::text,
    'expired', 'a retry that would land after the deadline (the start) expires the row'
);

-- Claim-time re-check: rows that fail it are skipped or expired with the reason, never returned.
SELECT pg_temp.book('b_nophone', 'nophone', NULL, '2026-12-01 09:00Z');
SELECT pg_temp.book('b_noconsent', 'noconsent', NULL, '2026-12-01 09:00Z');
SELECT pg_temp.book('b_gone', 'gone', NULL, '2026-12-01 09:00Z');
SELECT pg_temp.book('deleted', 'ann', NULL, '2026-12-01 09:00Z');
SELECT pg_temp.book('moved', 'ann', NULL, '2026-12-01 09:30Z');
SELECT pg_temp.book('cancelled', 'ann', NULL, '2026-12-01 09:45Z');
SELECT pg_temp.book('stale', 'ann', NULL, '2026-12-01 09:50Z');
UPDATE scheduling.people SET deleted_at = '2026-11-30 00:00Z'
WHERE id = tap.sid('gone');
-- Consent withdrawn after the booking by a direct write (set_whatsapp_consent would close the row at once).
UPDATE scheduling.people SET whatsapp_consent = FALSE
WHERE id = tap.sid('noconsent');
-- Bypass the replanning triggers, as a direct write or a bug would: the claim must still refuse to send.
SET LOCAL session_replication_role = replica;
UPDATE scheduling.sessions SET status = 'deleted', deleted_from_status = status, deleted_at = '2026-11-30 00:00Z'
WHERE id = (
    SELECT session_id FROM scheduling.bookings
    WHERE id = tap.sid('deleted')
);
UPDATE scheduling.sessions SET slot_version = 2
WHERE id = (
    SELECT session_id FROM scheduling.bookings
    WHERE id = tap.sid('moved')
);
UPDATE scheduling.bookings SET status = 'cancelled', cancelled_at = '2026-11-30 00:00Z'
WHERE id = tap.sid('cancelled');
SET LOCAL session_replication_role = origin;
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w', 50, '60 seconds', '2026-12-01 08:46Z')),
    0, 'none of the rows failing the re-check is returned'
);
SELECT results_eq(
    $$SELECT t.tag, r.state::text, r.state_reason FROM scheduling.reminders AS r
    INNER JOIN tap.ids AS t ON r.booking_id = t.id
    WHERE t.tag IN ('b_nophone', 'b_noconsent', 'b_gone', 'deleted', 'moved', 'cancelled', 'stale') ORDER BY t.tag$$,
    $$VALUES
        ('b_gone'::text, 'skipped'::text, 'recipient was deleted at Monday 30 November 2026, 01:00 (Europe/Berlin)'::text),
        ('b_noconsent', 'skipped', 'recipient has not consented to WhatsApp messages'),
        ('b_nophone', 'skipped', 'recipient has no phone number'),
        ('cancelled', 'skipped', 'booking is cancelled'),
        ('deleted', 'skipped', 'session was deleted at Monday 30 November 2026, 01:00 (Europe/Berlin)'),
        ('moved', 'skipped', 'session was rescheduled (slot 1, now 2)'),
        ('stale', 'pending', NULL)$$,
    'deleted session, rescheduled slot, cancelled booking, deleted recipient, no phone, no consent: skipped'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w', 50, '60 seconds', '2026-12-01 09:50Z')),
    0, 'a row claimed after its deadline is not returned'
);
SELECT results_eq(
    $$SELECT state::text, state_reason FROM scheduling.reminders WHERE id = tap.rid('stale')$$,
    $$VALUES (
        'expired'::text, 'deadline Tuesday 1 December 2026, 10:50 (Europe/Berlin) passed before it could be sent'::text
    )$$,
    'it is expired with the reason'
);

-- Bad arguments.
SELECT throws_ok(
    $$SELECT * FROM scheduling.claim_due_reminders('w', 0)$$, 'SK009', NULL, 'claim with p_limit 0: SK009'
);
SELECT throws_ok(
    $$SELECT * FROM scheduling.claim_due_reminders('w', 10, '0 seconds')$$, 'SK017', NULL,
    'claim with a zero lease: SK017'
);

SELECT * FROM finish();
ROLLBACK;
