-- Possible duplicates (uncertain: re-claim after an expired lease, mark_reminder_uncertain) and
-- retry_failed_reminders (an operator sees failed sends and retries them).
BEGIN;
SELECT plan(21);

-- Whether the reminder row of a booking tag is flagged uncertain.
CREATE FUNCTION pg_temp.uncertain(p_tag text) RETURNS boolean
LANGUAGE sql STABLE AS $$SELECT r.uncertain FROM scheduling.reminders AS r WHERE r.id = tap.rid(p_tag)$$;
-- One customer per booking (tag = person), booked long before; p_policy NULL = default (one hour before).
CREATE FUNCTION pg_temp.book(p_tag text, p_phone text, p_policy text, p_starts_at timestamptz) RETURNS uuid
LANGUAGE sql AS $$
    SELECT tap.book(
        p_tag, scheduling.create_person(p_tag, p_phone, 'Europe/Berlin', TRUE), p_starts_at, p_policy,
        '2031-01-15 00:00Z'
    )
$$;
-- Claim everything due at p_at, leased for p_lease; the booking tags claimed.
CREATE FUNCTION pg_temp.claim(p_at timestamptz, p_lease interval DEFAULT '1 hour') RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce(string_agg(t.tag || '/' || c.kind, ',' ORDER BY t.tag, c.kind), '')
    FROM scheduling.claim_due_reminders('w', 50, p_lease, p_at) AS c
    INNER JOIN scheduling.reminders AS r ON c.reminder_id = r.id
    INNER JOIN tap.ids AS t ON r.booking_id = t.id
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('p_day', scheduling.create_reminder_policy('a day before', '{1 day}'));

-- Uncertain 1: a lease expires (the worker died, maybe after sending) and the row is claimed again.
SELECT pg_temp.book('ann', '+4915112345671', NULL, '2031-02-01 09:00Z');
SELECT pg_temp.book('bob', '+4915112345672', NULL, '2031-02-01 09:00Z');
SELECT pg_temp.book('cat', '+4915112345673', NULL, '2031-02-01 09:00Z');
SELECT pg_temp.claim('2031-02-01 08:00Z', '60 seconds');
SELECT is(pg_temp.uncertain('ann'), FALSE, 'a first claim is not uncertain');
SELECT is(pg_temp.claim('2031-02-01 08:01Z'), 'ann/reminder,bob/reminder,cat/reminder', 'setup: leases expired');
SELECT is(pg_temp.uncertain('ann'), TRUE, 'a row claimed again after its lease expired is uncertain');
SELECT is(
    (
        SELECT uncertain FROM scheduling.reminder_status
        WHERE booking_id = tap.sid('ann')
    ), TRUE,
    'reminder_status shows it'
);
SELECT is((SELECT uncertain FROM scheduling.queue_stats), 3, 'queue_stats counts the uncertain rows');
SELECT is(
    scheduling.record_reminder_sent(tap.rid('cat'), tap.token('cat'), 'wamid.c', '2031-02-01 08:01:01Z')::text,
    'sent', 'setup: Cat''s row sent'
);

-- Uncertain 2: the worker flags a timed-out send before recording the failure.
SELECT pg_temp.book('dan', '+4915112345674', NULL, '2031-02-02 09:00Z');
SELECT pg_temp.claim('2031-02-02 08:00Z');
SELECT throws_ok(
    $$SELECT scheduling.mark_reminder_uncertain(tap.rid('dan'), gen_random_uuid())$$, 'SK018', NULL,
    'mark_reminder_uncertain with a stale or wrong token: SK018'
);
SELECT throws_ok(
    $$SELECT scheduling.mark_reminder_uncertain(gen_random_uuid(), gen_random_uuid())$$, 'SK019', NULL,
    'mark_reminder_uncertain of an unknown reminder: SK019'
);
SELECT is(pg_temp.uncertain('dan'), FALSE, 'the refused marks changed nothing');
SELECT lives_ok(
    $$SELECT scheduling.mark_reminder_uncertain(tap.rid('dan'), tap.token('dan'))$$,
    'mark_reminder_uncertain with the current token'
);
SELECT is(
    scheduling.record_reminder_failure(
        tap.rid('dan'), tap.token('dan'), 'timeout', 'no answer in 10 s', TRUE, '2031-02-02 08:00:10Z'
    )::text || ' ' || pg_temp.uncertain('dan')::text,
    'pending true', 'then the failure is recorded; the row stays uncertain'
);
SELECT throws_ok(
    $$SELECT scheduling.mark_reminder_uncertain(tap.rid('cat'), tap.token('cat'))$$, 'SK018', NULL,
    'a row already recorded as sent cannot be marked: SK018'
);

-- Retry failed rows: by time and error code; past their deadline they expire instead.
SELECT pg_temp.book('f1', '+4915112345681', 'a day before', '2031-03-02 09:00Z');
SELECT pg_temp.book('f2', '+4915112345682', 'a day before', '2031-03-02 09:00Z');
SELECT pg_temp.book('f3', '+4915112345683', 'a day before', '2031-03-02 09:00Z');
SELECT pg_temp.book('f4', '+4915112345684', NULL, '2031-03-01 10:00Z');
SELECT pg_temp.book('f5', '+4915112345685', 'a day before', '2031-03-02 09:00Z');
SELECT is(
    pg_temp.claim('2031-03-01 09:00Z'), 'f1/reminder,f2/reminder,f3/reminder,f4/reminder,f5/reminder',
    'setup: five rows claimed'
);
SELECT scheduling.record_reminder_failure(tap.rid(v.tag), tap.token(v.tag), v.code, 'x', FALSE, v.at)
FROM (
    VALUES
    ('f1', '131026', '2031-03-01 09:00:01Z'::timestamptz),
    ('f2', '132001', '2031-03-01 09:00:02Z'),
    ('f3', '131026', '2031-03-01 09:30Z'),
    ('f4', '131026', '2031-03-01 09:00:03Z'),
    ('f5', '131026', '2031-03-01 09:00:04Z')
) AS v (tag, code, at);
SELECT lives_ok(
    $$SELECT scheduling.cancel_booking(tap.sid('f5'), 'moved away', 'x', '2031-03-01 10:30Z')$$,
    'setup: f5''s booking cancelled after its reminder failed'
);
SELECT is(
    scheduling.retry_failed_reminders('2031-03-01 09:00:03Z', '131026', 'ops', '2031-03-01 11:00Z'), 2,
    'since 09:00:03 with code 131026: f3 and f5 re-queued (f4 is past its deadline, not counted)'
);
SELECT results_eq(
    $$SELECT t.tag, r.state::text, r.attempts, r.next_attempt_at, r.attempt_token, r.state_reason
    FROM scheduling.reminders AS r INNER JOIN tap.ids AS t ON r.booking_id = t.id
    WHERE t.tag IN ('f1', 'f2', 'f3', 'f4') ORDER BY t.tag$$,
    $$VALUES
        ('f1'::text, 'failed'::text, 1, '2031-03-01 09:00Z'::timestamptz, tap.token('f1'),
            'permanent error 131026'::text),
        ('f2', 'failed', 1, '2031-03-01 09:00Z', tap.token('f2'), 'permanent error 132001'),
        ('f3', 'pending', 0, '2031-03-01 11:00Z', NULL, 're-queued by ops (was failed: permanent error 131026)'),
        ('f4', 'expired', 1, '2031-03-01 09:00Z', tap.token('f4'),
            'retry requested by ops after the deadline Saturday 1 March 2031, 11:00 (Europe/Berlin)')$$,
    'f1 (too early) and f2 (other code) stay failed; f3 pending now, attempts 0; f4 expired'
);
SELECT results_eq(
    $$SELECT from_state::text, to_state::text, reason, attempts, happened_at FROM scheduling.reminder_state_history
    WHERE reminder_id = tap.rid('f3') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('failed'::text, 'pending'::text, 're-queued by ops (was failed: permanent error 131026)'::text, 0,
        '2031-03-01 11:00Z'::timestamptz)$$,
    'the history row names the actor'
);
SELECT is(
    scheduling.retry_failed_reminders(p_actor => 'ops', p_now => '2031-03-01 11:00Z'), 2,
    'without filters: the other two failed rows (f1, f2)'
);
SELECT is(
    pg_temp.claim('2031-03-01 11:00Z'), 'f1/reminder,f2/reminder,f3/reminder,f5/cancellation',
    're-queued rows are claimed again; f5''s reminder is not (its booking was cancelled), its cancellation is'
);
SELECT results_eq(
    $$SELECT state::text, state_reason FROM scheduling.reminders WHERE id = tap.rid('f5')$$,
    $$VALUES ('skipped'::text, 'booking is cancelled'::text)$$,
    'the claim''s re-check closes the re-queued row of the cancelled booking'
);
SELECT throws_ok(
    $$SELECT scheduling.retry_failed_reminders(p_actor => ' ')$$, 'SK009', NULL, 'a blank actor: SK009'
);

SELECT * FROM finish();
ROLLBACK;
