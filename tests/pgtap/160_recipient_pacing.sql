-- Spacing per recipient (WhatsApp 131056, pair rate limit): one row per person per claim, the earliest due;
-- the person's next row only after recipient_spacing; rows held back stay pending, untouched.
BEGIN;
SELECT plan(14);

-- An appointment with the person tagged p_person (default policy), booked on 2031-01-15.
CREATE FUNCTION pg_temp.book(p_tag text, p_person text, p_starts_at timestamptz) RETURNS uuid
LANGUAGE sql AS $$SELECT tap.book(p_tag, tap.sid(p_person), p_starts_at, NULL, '2031-01-15 00:00Z')$$;
-- The booking tags claimed by one call, in order (leased for a day: nothing comes back in this test).
CREATE FUNCTION pg_temp.claim(p_limit integer, p_at timestamptz) RETURNS text
LANGUAGE sql AS $$
    SELECT coalesce(string_agg(t.tag, ',' ORDER BY c.due_at, t.tag), '')
    FROM scheduling.claim_due_reminders('w', p_limit, '1 day', p_at) AS c
    INNER JOIN scheduling.reminders AS r ON c.reminder_id = r.id
    INNER JOIN tap.ids AS t ON r.booking_id = t.id
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345671', 'Europe/Berlin', TRUE)),
('bob', scheduling.create_person('Bob', '+4915112345672', 'Europe/Berlin', TRUE)),
('cat', scheduling.create_person('Cat', '+4915112345673', 'Europe/Berlin', TRUE));
-- Default policy: a reminder one hour before the start.
SELECT pg_temp.book('ann1', 'ann', '2031-02-01 09:00Z');
SELECT pg_temp.book('ann2', 'ann', '2031-02-01 09:01Z');
SELECT pg_temp.book('bob1', 'bob', '2031-02-01 09:00:30Z');

SELECT is(
    pg_temp.claim(50, '2031-02-01 08:02Z'), 'ann1,bob1',
    'with three rows due, one claim takes one row per person: Ann''s earliest, and Bob''s'
);
SELECT results_eq(
    $$SELECT r.state::text, r.attempts, r.updated_at, r.attempt_token,
        (SELECT count(*)::integer FROM scheduling.reminder_state_history AS h WHERE h.reminder_id = r.id)
    FROM scheduling.reminders AS r WHERE r.booking_id = tap.sid('ann2')$$,
    $$VALUES ('pending'::text, 0, '2031-01-15 00:00Z'::timestamptz, NULL::uuid, 1)$$,
    'Ann''s second row stays pending, untouched: no attempt, no history, no token'
);
SELECT results_eq(
    $$SELECT person_id, next_allowed_at FROM scheduling.recipient_pacing ORDER BY next_allowed_at, person_id$$,
    $$SELECT id, '2031-02-01 08:02:06Z'::timestamptz FROM tap.ids WHERE tag IN ('ann', 'bob') ORDER BY id$$,
    'each person claimed may get the next message at p_now + 6 s'
);
SELECT is(
    scheduling.seconds_until_next_reminder('2031-02-01 08:02:03Z'), 3::float8,
    'seconds_until_next_reminder: Ann''s held-back row is claimable in 3 s'
);
SELECT is(pg_temp.claim(50, '2031-02-01 08:02:05Z'), '', 'at +5 s Ann''s second row is still held back');
SELECT is(pg_temp.claim(50, '2031-02-01 08:02:06Z'), 'ann2', 'at +6 s it is claimed');
SELECT is(
    (
        SELECT next_allowed_at FROM scheduling.recipient_pacing
        WHERE person_id = tap.sid('ann')
    ),
    '2031-02-01 08:02:12Z'::timestamptz, 'and Ann is paced again from that claim'
);

-- p_limit counts people, earliest due first.
SELECT pg_temp.book('cat1', 'cat', '2031-02-01 09:10Z');
SELECT pg_temp.book('bob2', 'bob', '2031-02-01 09:11Z');
SELECT is(pg_temp.claim(1, '2031-02-01 08:12Z'), 'cat1', 'p_limit 1: the earliest due row');
SELECT is(pg_temp.claim(1, '2031-02-01 08:12Z'), 'bob2', 'the next claim takes the next person''s');

-- The spacing is a setting; with 0 there is no wait, but still one row per person per call.
UPDATE scheduling.worker_settings SET recipient_spacing = '0 seconds';
SELECT pg_temp.book('ann3', 'ann', '2031-02-01 09:20Z');
SELECT pg_temp.book('ann4', 'ann', '2031-02-01 09:21Z');
SELECT is(pg_temp.claim(50, '2031-02-01 08:22Z'), 'ann3', 'spacing 0: still one row per person per call');
SELECT is(pg_temp.claim(50, '2031-02-01 08:22Z'), 'ann4', 'and the next call at the same time takes the next');
UPDATE scheduling.worker_settings SET recipient_spacing = '10 seconds';
SELECT pg_temp.book('cat2', 'cat', '2031-02-01 09:30Z');
SELECT is(pg_temp.claim(50, '2031-02-01 08:30Z'), 'cat2', 'setup: Cat''s row claimed with a spacing of 10 s');
SELECT is(
    (
        SELECT next_allowed_at FROM scheduling.recipient_pacing
        WHERE person_id = tap.sid('cat')
    ),
    '2031-02-01 08:30:10Z'::timestamptz, 'next_allowed_at = p_now + recipient_spacing'
);
SELECT throws_ok(
    $$UPDATE scheduling.worker_settings SET recipient_spacing = '-1 second'$$, '23514', NULL,
    'a negative spacing is refused'
);

SELECT * FROM finish();
ROLLBACK;
