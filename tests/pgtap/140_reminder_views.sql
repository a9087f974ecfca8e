-- Views: reminder_status (per booking) and queue_stats (one row at now()).
BEGIN;
SELECT plan(4);

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin'));
-- One customer per booking: a claim takes at most one row per recipient.
INSERT INTO tap.ids
SELECT
    v.tag,
    scheduling.create_appointment(
        tap.free_host(v.starts_at, v.starts_at + interval '30 minutes'),
        scheduling.create_person('Customer ' || v.tag, v.phone, 'Europe/Berlin', TRUE), v.tag,
        v.starts_at, v.starts_at + interval '30 minutes', NULL, 'x', now() - interval '1 day'
    ) AS id
FROM (
    VALUES
    ('later', '+4915112345671', now() + interval '3 hours'),
    ('due', '+4915112345672', now() + interval '30 minutes'),
    ('sent', '+4915112345673', now() + interval '40 minutes'),
    ('failed', '+4915112345674', now() + interval '50 minutes')
) AS v (tag, phone, starts_at);

CREATE TEMP TABLE t_c AS
SELECT * FROM scheduling.claim_due_reminders('w', 10, '5 minutes', now());
SELECT scheduling.record_reminder_sent(c.reminder_id, c.attempt_token, 'wamid.9', now())
FROM t_c AS c
WHERE c.reminder_key LIKE tap.sid('sent') || '%';
SELECT scheduling.record_reminder_failure(c.reminder_id, c.attempt_token, '131026', 'not on WhatsApp', FALSE, now())
FROM t_c AS c
WHERE c.reminder_key LIKE tap.sid('failed') || '%';
SELECT scheduling.release_reminder(c.reminder_id, c.attempt_token, now() - interval '30 minutes', 'x', now())
FROM t_c AS c
WHERE c.reminder_key LIKE tap.sid('due') || '%';
SELECT results_eq(
    $$SELECT booking_id, reminder_key, state::text, due_at, attempts, last_error, provider_message_id
    FROM scheduling.reminder_status WHERE booking_id IN (tap.sid('sent'), tap.sid('failed'))
    ORDER BY due_at$$,
    $$VALUES
        (tap.sid('sent'), tap.sid('sent') || '-reminder-1', 'sent'::text,
            now() - interval '20 minutes', 1, NULL::text, 'wamid.9'::text),
        (tap.sid('failed'), tap.sid('failed') || '-reminder-1', 'failed',
            now() - interval '10 minutes', 1, '131026: not on WhatsApp', NULL)$$,
    'reminder_status: key, state, due_at, attempts, last error, provider id per booking'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminder_status
        WHERE booking_id = tap.sid('later')
    ), 1,
    'reminder_status filters on booking_id'
);
SELECT lives_ok(
    $$SELECT scheduling.cancel_booking(tap.sid('later'), 'x', 'x', now())$$, 'setup: one booking cancelled'
);
SELECT results_eq(
    $$SELECT waiting, delayed, active, completed, failed, cancelled, skipped, expired, oldest_due_age
    FROM scheduling.queue_stats$$,
    $$VALUES (2, 0, 0, 1, 1, 1, 0, 0, interval '30 minutes')$$,
    'queue_stats: waiting (the due row and the cancellation message), completed, failed, cancelled, oldest age'
);

SELECT * FROM finish();
ROLLBACK;
