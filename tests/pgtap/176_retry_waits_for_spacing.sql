-- The retry time of a failed send is the true one: 5 s, 25 s, ... after the failure, or when the recipient's
-- spacing (recipient_pacing, set by the claim) allows, whichever is later. With the default 6 s spacing the
-- first retry of a send that failed at once waits 6 s from the claim, and next_attempt_at says so.
BEGIN;
SELECT plan(7);
SET LOCAL timezone = 'UTC';

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann Smith', '+4915112345679', 'Europe/Berlin', TRUE));
SELECT tap.book('ann1', tap.sid('ann'), '2031-07-01 10:00Z', NULL, '2031-06-01 00:00Z');

-- Claim at p_at, then record a retryable failure p_after later; the new state and retry time.
CREATE FUNCTION pg_temp.claim_and_fail(p_at timestamptz, p_after interval) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_state text;
BEGIN
    PERFORM FROM scheduling.claim_due_reminders('w', 50, '1 minute', p_at);
    v_state := scheduling.record_reminder_failure(
        tap.rid('ann1'), tap.token('ann1'), '131000', 'something went wrong', TRUE, p_at + p_after
    )::text;
    RETURN v_state || ' ' || (SELECT r.next_attempt_at FROM scheduling.reminders AS r WHERE r.id = tap.rid('ann1'));
END;
$$;

SELECT is(
    (SELECT recipient_spacing FROM scheduling.worker_settings), '6 seconds'::interval, 'the default spacing: 6 s'
);
SELECT is(
    pg_temp.claim_and_fail('2031-07-01 09:00Z', '0 seconds'), 'pending 2031-07-01 09:00:06+00',
    'a send that fails at once: retried when the spacing allows (6 s after the claim), not 5 s after the failure'
);
SELECT is(
    (
        SELECT state_reason FROM scheduling.reminders
        WHERE id = tap.rid('ann1')
    ),
    'retry 1 of 5 at Tuesday 1 July 2031, 11:00 (Europe/Berlin)',
    'the reason gives the retry time in the recipient''s time zone'
);
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w', 50, '1 minute', '2031-07-01 09:00:05Z')), 0,
    '5 s after the failure the row is not claimable'
);
SELECT is(
    pg_temp.claim_and_fail('2031-07-01 09:00:06Z', '2 seconds'), 'pending 2031-07-01 09:00:33+00',
    'at its stored time it is: the 2nd failure waits 25 s, later than the spacing'
);
UPDATE scheduling.worker_settings SET recipient_spacing = '10 minutes';
SELECT is(
    pg_temp.claim_and_fail('2031-07-01 09:00:33Z', '1 second'), 'pending 2031-07-01 09:10:33+00',
    'a 10-minute spacing: the 3rd retry waits for it, not only the 125 s backoff'
);
SELECT is(
    (
        SELECT next_allowed_at FROM scheduling.recipient_pacing
        WHERE person_id = tap.sid('ann')
    ),
    '2031-07-01 09:10:33Z'::timestamptz, 'the retry time is the pacing time when that is later'
);

SELECT * FROM finish();
ROLLBACK;
