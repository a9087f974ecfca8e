-- record_reminder_outcomes: a batch of sends and failures in one call, one verdict per entry; a refused token
-- refuses its own row only, and a malformed batch records nothing.
BEGIN;
SELECT plan(19);

CREATE FUNCTION pg_temp.book(p_tag text, p_phone text) RETURNS uuid
LANGUAGE sql AS $$
    SELECT tap.book(
        p_tag, scheduling.create_person(p_tag, p_phone, 'Europe/Berlin', TRUE), '2031-02-01 09:00Z', NULL,
        '2031-01-15 00:00Z'
    )
$$;
-- The state of each booking tag's reminder row, as 'tag:state' joined by commas.
CREATE FUNCTION pg_temp.states() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT string_agg(t.tag || ':' || r.state, ',' ORDER BY t.tag)
    FROM scheduling.reminders AS r INNER JOIN tap.ids AS t ON r.booking_id = t.id
$$;
-- One entry of a batch.
CREATE FUNCTION pg_temp.sent(p_tag text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'reminder_id', tap.rid(p_tag), 'attempt_token', tap.token(p_tag), 'outcome', 'sent',
        'provider_message_id', 'wamid.' || p_tag
    )
$$;
-- Whether recording p_batch fails with p_code and leaves every row as it was.
CREATE FUNCTION pg_temp.refused(p_batch jsonb, p_code text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_before text := pg_temp.states();
BEGIN
    PERFORM scheduling.record_reminder_outcomes(p_batch, '2031-02-01 08:00:05Z');
    RETURN FALSE;
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE = p_code AND pg_temp.states() = v_before;
END;
$$;

INSERT INTO tap.ids VALUES ('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin'));
SELECT pg_temp.book('ann', '+4915112345671');
SELECT pg_temp.book('bob', '+4915112345672');
SELECT pg_temp.book('cat', '+4915112345673');
SELECT is(
    (SELECT count(*)::integer FROM scheduling.claim_due_reminders('w', 50, '1 hour', '2031-02-01 08:00Z')), 3,
    'setup: three rows claimed'
);

-- Malformed batches: the whole batch is refused, nothing recorded, even the well-formed entries before.
SELECT ok(pg_temp.refused(NULL, 'SK065'), 'NULL: SK065');
SELECT ok(pg_temp.refused(pg_temp.sent('ann'), 'SK065'), 'an object instead of an array: SK065');
SELECT ok(pg_temp.refused(jsonb_build_array(pg_temp.sent('ann'), 1), 'SK065'), 'an entry not an object: SK065');
SELECT ok(
    pg_temp.refused(jsonb_build_array(pg_temp.sent('ann'), pg_temp.sent('bob') - 'outcome'), 'SK066'),
    'an entry without "outcome": SK066, and the entry before it is not recorded either'
);
SELECT ok(
    pg_temp.refused(jsonb_build_array(pg_temp.sent('ann') - 'provider_message_id'), 'SK066'),
    'a send without its provider id: SK066'
);
SELECT ok(
    pg_temp.refused(jsonb_build_array(pg_temp.sent('ann') || '{"retryable": true}'), 'SK066'),
    'a key the outcome does not take (retryable on a send): SK066'
);
SELECT ok(
    pg_temp.refused(jsonb_build_array(pg_temp.sent('ann') || '{"colour": "red"}'), 'SK066'), 'an unknown key: SK066'
);
SELECT ok(
    pg_temp.refused(jsonb_build_array(pg_temp.sent('ann') || '{"outcome": "maybe"}'), 'SK067'),
    '"outcome" neither sent nor failed: SK067'
);
SELECT ok(
    pg_temp.refused(jsonb_build_array(pg_temp.sent('ann') || '{"reminder_id": "ann"}'), 'SK067'),
    'a reminder id that is not a uuid: SK067'
);
SELECT ok(
    pg_temp.refused(jsonb_build_array(pg_temp.sent('ann') || '{"provider_message_id": 7}'), 'SK067'),
    'a provider id that is not a string: SK067'
);
SELECT ok(
    pg_temp.refused(
        jsonb_build_array(
            jsonb_build_object(
                'reminder_id', tap.rid('bob'), 'attempt_token', tap.token('bob'), 'outcome', 'failed',
                'retryable', 'yes'
            )
        ),
        'SK067'
    ),
    '"retryable" not a boolean: SK067'
);
SELECT ok(
    pg_temp.refused(jsonb_build_array(pg_temp.sent('ann'), pg_temp.sent('ann')), 'SK067'),
    'the same reminder twice: SK067'
);
SELECT is(pg_temp.states(), 'ann:leased,bob:leased,cat:leased', 'nothing was recorded by the refused batches');

-- A good batch: Ann sent, Bob failed (retryable, timed out: uncertain), Cat with a stale token, and a reminder
-- that does not exist. One verdict per entry, in the order given; the refused rows change nothing.
CREATE TEMPORARY TABLE verdicts AS
SELECT *
FROM scheduling.record_reminder_outcomes(
    jsonb_build_array(
        pg_temp.sent('cat') || jsonb_build_object('attempt_token', gen_random_uuid()),
        pg_temp.sent('ann'),
        jsonb_build_object(
            'reminder_id', tap.rid('bob'), 'attempt_token', tap.token('bob'), 'outcome', 'failed',
            'retryable', TRUE, 'error_code', 'timeout', 'error_message', NULL, 'uncertain', TRUE
        ),
        jsonb_build_object(
            'reminder_id', gen_random_uuid(), 'attempt_token', gen_random_uuid(), 'outcome', 'sent',
            'provider_message_id', 'wamid.nobody'
        )
    ),
    '2031-02-01 08:00:05Z'
);
SELECT is(
    (SELECT string_agg(ordinal || ':' || coalesce(state::text, refused_code), ',' ORDER BY ordinal) FROM verdicts),
    '1:SK018,2:sent,3:pending,4:SK019',
    'one verdict per entry, by position: the stale token and the unknown reminder refused, the others recorded'
);
SELECT is(
    (
        SELECT reminder_id FROM verdicts
        WHERE ordinal = 1
    ), tap.rid('cat'), 'each verdict names its reminder'
);
SELECT is(pg_temp.states(), 'ann:sent,bob:pending,cat:leased', 'the refused row is untouched, the others moved');
SELECT is(
    (
        SELECT r.uncertain::text || ' ' || r.last_error_code || ' ' || r.attempts
        FROM scheduling.reminders AS r
        WHERE r.id = tap.rid('bob')
    ),
    'true timeout 1', 'a failure marked uncertain: flagged, the error kept, the attempt counted'
);
SELECT is(
    (
        SELECT provider_message_id FROM scheduling.reminders
        WHERE id = tap.rid('ann')
    ), 'wamid.ann',
    'the send keeps its provider id'
);

SELECT * FROM finish();
ROLLBACK;
