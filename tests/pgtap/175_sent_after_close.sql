-- A send recorded after its row was closed (the booking cancelled while the worker held the lease) is flagged
-- uncertain with who sent it and when; reasons name times in the recipient's local time (Asia/Kolkata: UTC+5:30).
BEGIN;
SELECT plan(17);

-- One customer in Kolkata per booking (tag = person), booked on 20 November; default policy (one hour before).
CREATE FUNCTION pg_temp.book(p_tag text, p_phone text, p_starts_at timestamptz) RETURNS uuid
LANGUAGE sql AS $$
    SELECT tap.book(
        p_tag, scheduling.create_person(p_tag, p_phone, 'Asia/Kolkata', TRUE), p_starts_at, NULL,
        '2026-11-20 00:00Z'
    )
$$;
-- The state and reason of a booking tag's first row.
CREATE FUNCTION pg_temp.reason(p_tag text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT r.state || ': ' || r.state_reason FROM scheduling.reminders AS r WHERE r.id = tap.rid(p_tag)
$$;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin'));
-- Starts at 04:30Z = 10:00 in Kolkata; the reminder is due at 03:30Z = 09:00.
SELECT pg_temp.book('kol', '+919812345671', '2026-11-23 04:30Z');
SELECT pg_temp.book('exp', '+919812345672', '2026-11-24 04:30Z');
SELECT pg_temp.book('rel', '+919812345673', '2026-11-25 04:30Z');
SELECT pg_temp.book('mov', '+919812345674', '2026-11-26 04:30Z');
SELECT pg_temp.book('ret', '+919812345675', '2026-11-27 04:30Z');
CREATE TEMP TABLE t_before AS SELECT q.uncertain FROM scheduling.queue_stats AS q;

-- Sent after the booking was cancelled.
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w-kol', 10, '5 minutes', '2026-11-23 03:30Z')),
    1, 'setup: Kolkata''s reminder claimed by w-kol'
);
SELECT lives_ok(
    $$SELECT scheduling.cancel_booking(tap.sid('kol'), 'changed plans', 'x', '2026-11-23 03:30:10Z')$$,
    'setup: the booking is cancelled while w-kol holds the row'
);
SELECT is(
    scheduling.record_reminder_sent(tap.rid('kol'), tap.token('kol'), 'wamid.late', '2026-11-23 03:31Z')::text,
    'cancelled', 'w-kol records its send: the row stays cancelled'
);
SELECT results_eq(
    $$SELECT uncertain, attempts, sent_at, provider_message_id, state_reason
    FROM scheduling.reminders WHERE id = tap.rid('kol')$$,
    $$VALUES (TRUE, 1, '2026-11-23 03:31Z'::timestamptz, 'wamid.late'::text,
        'booking cancelled: changed plans; sent by w-kol at Monday 23 November 2026, 09:01 (Asia/Kolkata) '
        || 'after it was cancelled')$$,
    'flagged uncertain, the send kept, the reason says by whom, when (Kolkata time) and after what'
);
SELECT is(
    (SELECT q.uncertain FROM scheduling.queue_stats AS q) - (SELECT b.uncertain FROM t_before AS b), 1,
    'queue_stats.uncertain counts it'
);
SELECT results_eq(
    $$SELECT state, uncertain, recipient_time_zone FROM scheduling.reminder_status
    WHERE booking_id = tap.sid('kol') AND kind = 'reminder'$$,
    $$VALUES ('cancelled'::scheduling.reminder_state, TRUE, 'Asia/Kolkata'::text)$$,
    'reminder_status shows it, with the recipient''s time zone'
);
CREATE TEMP TABLE t_kol AS
SELECT to_jsonb(r.*) AS row_json
FROM scheduling.reminders AS r
WHERE r.id = tap.rid('kol');
SELECT is(
    scheduling.record_reminder_sent(tap.rid('kol'), tap.token('kol'), 'wamid.late', '2026-11-23 03:32Z')::text,
    'cancelled', 'recording the same send again returns the state'
);
SELECT is(
    (
        SELECT to_jsonb(r.*)
        FROM scheduling.reminders AS r
        WHERE r.id = tap.rid('kol')
    ),
    (SELECT t.row_json FROM t_kol AS t),
    'and changes nothing (no second attempt, no second reason)'
);
SELECT throws_ok(
    $$SELECT scheduling.record_reminder_sent(tap.rid('kol'), tap.token('kol'), 'wamid.other', '2026-11-23 03:33Z')$$,
    'SK018', 'reminder ' || tap.sid('kol') || '-reminder-1 was already recorded as sent (provider id wamid.late)',
    'another provider id for the same row: SK018'
);

-- Reasons in the recipient's local time.
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w', 10, '5 minutes', '2026-11-24 04:31Z')),
    0, 'setup: a claim after the start returns nothing'
);
SELECT is(
    pg_temp.reason('exp'),
    'expired: deadline Tuesday 24 November 2026, 10:00 (Asia/Kolkata) passed before it could be sent',
    'the claim''s re-check names the deadline in Kolkata time'
);
SELECT scheduling.claim_due_reminders('w', 10, '5 minutes', '2026-11-25 03:30Z');
SELECT is(
    scheduling.release_reminder(
        tap.rid('rel'), tap.token('rel'), '2026-11-25 04:30Z', 'outage', '2026-11-25 03:31Z'
    )::text,
    'expired', 'setup: released to the start: expired'
);
SELECT is(
    pg_temp.reason('rel'),
    'expired: released to Wednesday 25 November 2026, 10:00 (Asia/Kolkata), at or past the deadline '
    || 'Wednesday 25 November 2026, 10:00 (Asia/Kolkata): outage',
    'release_reminder past the deadline names both times in Kolkata time'
);
SELECT lives_ok(
    $$SELECT scheduling.reschedule_booking(
        tap.sid('mov'), '2026-11-26 06:30Z', '2026-11-26 07:00Z', 'x', '2026-11-21 00:00Z'
    )$$,
    'setup: Kolkata''s appointment moved two hours later'
);
SELECT is(
    pg_temp.reason('mov'),
    'cancelled: session rescheduled (slot 2) to Thursday 26 November 2026, 12:00 (Asia/Kolkata)',
    'the old slot''s reminder names the new start in Kolkata time'
);
SELECT scheduling.claim_due_reminders('w', 10, '5 minutes', '2026-11-27 03:30Z');
SELECT scheduling.record_reminder_failure(
    tap.rid('ret'), tap.token('ret'), '131026', 'not on WhatsApp', FALSE, '2026-11-27 03:30:01Z'
);
SELECT is(
    scheduling.retry_failed_reminders(p_actor => 'ops', p_now => '2026-11-27 05:00Z'), 0,
    'setup: a retry after the start re-queues nothing'
);
SELECT is(
    pg_temp.reason('ret'),
    'expired: retry requested by ops after the deadline Friday 27 November 2026, 10:00 (Asia/Kolkata)',
    'retry_failed_reminders after the deadline names it in Kolkata time'
);

SELECT * FROM finish();
ROLLBACK;
