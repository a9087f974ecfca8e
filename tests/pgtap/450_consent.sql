-- WhatsApp consent: set_whatsapp_consent with its history and refusals; a withdrawal skips the person's pending
-- and leased messages (a send in flight is recorded as sent after the close) and leaves sent ones; a booking without
-- consent plans skipped rows with the reason; consent words in replies (STOP, Stopp!, BAJA, START), replays,
-- unknown senders, and CANCEL still cancelling.
BEGIN;
SELECT plan(38);
SET LOCAL timezone = 'UTC';

-- A booking of p_person for p_starts_at, made on 1 April 2031, three reminders: a day, two hours, an hour before.
CREATE FUNCTION pg_temp.book(p_tag text, p_person text, p_starts_at timestamptz) RETURNS uuid
LANGUAGE sql AS $$SELECT tap.book(p_tag, tap.sid(p_person), p_starts_at, 'three', '2031-04-01 00:00Z')$$;
CREATE FUNCTION pg_temp.rows(p_person text) RETURNS TABLE (seq integer, state text, reason text)
LANGUAGE sql STABLE AS $$
    SELECT r.seq, r.state::text, r.state_reason
    FROM scheduling.reminders AS r
    WHERE r.person_id = tap.sid(p_person)
    ORDER BY r.slot_starts_at, r.seq
$$;
CREATE FUNCTION pg_temp.consent(p_person text) RETURNS boolean
LANGUAGE sql STABLE AS $$SELECT p.whatsapp_consent FROM scheduling.people AS p WHERE p.id = tap.sid(p_person)$$;
CREATE FUNCTION pg_temp.changes() RETURNS integer
LANGUAGE sql STABLE AS $$SELECT count(*)::integer FROM scheduling.consent_changes$$;
-- A reply as the webhook reports it, at 10 May 2031 12:00Z unless told.
CREATE FUNCTION pg_temp.reply(
    p_id text, p_from text, p_body text, p_now timestamptz DEFAULT '2031-05-10 12:00Z'
) RETURNS jsonb
LANGUAGE sql AS $$SELECT scheduling.record_inbound_message('whatsapp', p_id, p_from, p_body, NULL, NULL, p_now)$$;
CREATE FUNCTION pg_temp.said(p_action text, p_duplicate boolean DEFAULT FALSE) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('action', p_action, 'booking_id', NULL, 'duplicate', p_duplicate)
$$;
CREATE TEMP TABLE t_written (tag text PRIMARY KEY, digest text NOT NULL);
CREATE FUNCTION pg_temp.before() RETURNS text
LANGUAGE sql STABLE AS $$SELECT w.digest FROM t_written AS w WHERE w.tag = 'before'$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)),
('bob', scheduling.create_person('Bob', '+4915112345680', 'America/New_York', TRUE)),
('nocon', scheduling.create_person('Nico', '+4915112345681', 'Europe/Berlin', FALSE)),
('gone', scheduling.create_person('Gone', '+4915112345682', 'Europe/Berlin', TRUE)),
('p_three', scheduling.create_reminder_policy('three', '{1 day, 2 hours, 1 hour}'));
UPDATE scheduling.people SET deleted_at = '2031-04-02 00:00Z'
WHERE id = tap.sid('gone');

-- Ann: one booking on 12 May whose first reminder was sent and whose second is leased at 08:00, one on 20 May.
SELECT pg_temp.book('ann_1', 'ann', '2031-05-12 10:00Z');
SELECT pg_temp.book('ann_2', 'ann', '2031-05-20 10:00Z');
SELECT count(*) FROM scheduling.claim_due_reminders('w', 50, '1 hour', '2031-05-11 10:00Z');
SELECT scheduling.record_reminder_sent(r.id, r.attempt_token, 'wamid.SENT1', '2031-05-11 10:00Z')
FROM scheduling.reminders AS r
WHERE r.booking_id = tap.sid('ann_1') AND r.state = 'leased';
SELECT count(*) FROM scheduling.claim_due_reminders('w', 50, '1 hour', '2031-05-12 08:00Z');
-- Bob: one booking, all pending.
SELECT pg_temp.book('bob_1', 'bob', '2031-05-13 10:00Z');

-- Refusals: nothing written.
INSERT INTO t_written VALUES ('before', tap.written());
SELECT throws_ok(
    $$SELECT scheduling.set_whatsapp_consent(tap.sid('ann'), FALSE, 'sms', 'x', '2031-05-12 08:01Z')$$,
    'SK052', 'set_whatsapp_consent: unknown source ''sms'' (app, reply or operator)',
    'an unknown source is refused with SK052'
);
SELECT throws_ok(
    $$SELECT scheduling.set_whatsapp_consent(tap.sid('ann'), FALSE, NULL, 'x', '2031-05-12 08:01Z')$$,
    'SK052', NULL, 'a NULL source is refused with SK052'
);
SELECT throws_ok(
    $$SELECT scheduling.set_whatsapp_consent(
        '00000000-0000-4000-8000-000000000000', FALSE, 'app', 'x', '2031-05-12 08:01Z'
    )$$,
    'SK007', 'person 00000000-0000-4000-8000-000000000000 not found or deleted',
    'an unknown person is refused with SK007'
);
SELECT throws_ok(
    $$SELECT scheduling.set_whatsapp_consent(tap.sid('gone'), FALSE, 'app', 'x', '2031-05-12 08:01Z')$$,
    'SK007', NULL, 'a deleted person is refused with SK007'
);
SELECT throws_ok(
    $$SELECT scheduling.set_whatsapp_consent(tap.sid('ann'), NULL, 'app', 'x', '2031-05-12 08:01Z')$$,
    'SK009', NULL, 'a NULL consent is refused with SK009'
);
SELECT is(tap.written(), pg_temp.before(), 'the refusals wrote nothing');

-- Withdrawal by the app.
SELECT is(
    scheduling.set_whatsapp_consent(tap.sid('ann'), FALSE, 'app', 'clinic_app', '2031-05-12 08:01Z'), TRUE,
    'withdrawing consent returns true: it changed'
);
SELECT is(pg_temp.consent('ann'), FALSE, 'the person has no consent any more');
SELECT results_eq(
    $$SELECT consent, source, actor, changed_at, inbound_message_id FROM scheduling.consent_changes
    WHERE person_id = tap.sid('ann')$$,
    $$VALUES (FALSE, 'app'::text, 'clinic_app'::text, '2031-05-12 08:01Z'::timestamptz, NULL::bigint)$$,
    'one history row: consent false, source, actor, time, no message'
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows('ann')$$,
    $$VALUES
        (1, 'sent'::text, NULL::text),
        (2, 'skipped', 'opted out by app at Monday 12 May 2031, 10:01 (Europe/Berlin)'),
        (3, 'skipped', 'opted out by app at Monday 12 May 2031, 10:01 (Europe/Berlin)'),
        (1, 'skipped', 'opted out by app at Monday 12 May 2031, 10:01 (Europe/Berlin)'),
        (2, 'skipped', 'opted out by app at Monday 12 May 2031, 10:01 (Europe/Berlin)'),
        (3, 'skipped', 'opted out by app at Monday 12 May 2031, 10:01 (Europe/Berlin)')$$,
    'the leased and the pending rows are skipped with the source and the local time; the sent one is kept'
);
SELECT results_eq(
    $$SELECT lease_expires_at IS NULL, attempt_token IS NOT NULL FROM scheduling.reminders
    WHERE booking_id = tap.sid('ann_1') AND seq = 2$$,
    $$VALUES (TRUE, TRUE)$$,
    'the leased row loses its lease but keeps its attempt token'
);
SELECT is(
    (
        SELECT array_agg(r.state::text) FROM scheduling.reminders AS r
        WHERE r.person_id = tap.sid('bob')
    ),
    ARRAY['pending', 'pending', 'pending'],
    'another person''s rows are untouched'
);
SELECT is(
    (
        SELECT h.reason FROM scheduling.reminder_state_history AS h
        WHERE
            h.reminder_id = (
                SELECT r.id FROM scheduling.reminders AS r
                WHERE r.booking_id = tap.sid('ann_2') AND r.seq = 1
            )
        ORDER BY h.id DESC LIMIT 1
    ),
    'opted out by app at Monday 12 May 2031, 10:01 (Europe/Berlin)',
    'the history of each row says why'
);

-- The worker that held the leased row records its send: kept skipped, flagged.
SELECT scheduling.record_reminder_sent(r.id, r.attempt_token, 'wamid.SENT2', '2031-05-12 08:02Z')
FROM scheduling.reminders AS r
WHERE r.booking_id = tap.sid('ann_1') AND r.seq = 2;
SELECT results_eq(
    $$SELECT state::text, uncertain, state_reason LIKE 'opted out by app at %; sent by w at % after it was skipped'
    FROM scheduling.reminders WHERE booking_id = tap.sid('ann_1') AND seq = 2$$,
    $$VALUES ('skipped'::text, TRUE, TRUE)$$,
    'a send in flight is recorded as sent after the close, flagged uncertain'
);

-- The same value again changes nothing.
UPDATE t_written SET digest = tap.written()
WHERE tag = 'before';
SELECT is(
    scheduling.set_whatsapp_consent(tap.sid('ann'), FALSE, 'operator', 'desk', '2031-05-12 09:00Z'), FALSE,
    'withdrawing again returns false'
);
SELECT is(tap.written(), pg_temp.before(), 'and writes nothing');

-- A booking without consent: every time written skipped, with the reason.
SELECT pg_temp.book('nocon_1', 'nocon', '2031-05-14 10:00Z');
SELECT results_eq(
    $$SELECT * FROM pg_temp.rows('nocon')$$,
    $$VALUES
        (1, 'skipped'::text, 'recipient has not consented to WhatsApp messages'::text),
        (2, 'skipped', 'recipient has not consented to WhatsApp messages'),
        (3, 'skipped', 'recipient has not consented to WhatsApp messages')$$,
    'a booking for a person without consent plans its rows skipped, with the reason'
);

-- Consent given again: nothing reopens; a new booking plans as usual.
SELECT is(
    scheduling.set_whatsapp_consent(tap.sid('ann'), TRUE, 'operator', 'desk', '2031-05-12 09:00Z'), TRUE,
    'giving consent again returns true'
);
SELECT is(
    (SELECT array_agg(c.source || ':' || c.consent ORDER BY c.id) FROM scheduling.consent_changes AS c),
    ARRAY['app:false', 'operator:true'],
    'the history holds both changes, in order'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminders AS r
        WHERE r.booking_id = tap.sid('ann_2') AND r.state = 'skipped'
    ),
    3,
    'the skipped rows stay skipped'
);
SELECT pg_temp.book('ann_3', 'ann', '2031-05-25 10:00Z');
SELECT is(
    (
        SELECT array_agg(r.state::text) FROM scheduling.reminders AS r
        WHERE r.booking_id = tap.sid('ann_3')
    ),
    ARRAY['pending', 'pending', 'pending'],
    'a booking made afterwards plans pending rows'
);

-- Replies: STOP from Bob.
SELECT is(pg_temp.reply('wamid.IN1', '4915112345680', 'STOP'), pg_temp.said('opted_out'), 'STOP opts out');
SELECT is(pg_temp.consent('bob'), FALSE, 'Bob has no consent any more');
SELECT results_eq(
    $$SELECT c.consent, c.source, c.actor, c.changed_at, c.inbound_message_id = m.id
    FROM scheduling.consent_changes AS c
    INNER JOIN scheduling.inbound_messages AS m ON m.provider_message_id = 'wamid.IN1'
    WHERE c.person_id = tap.sid('bob')$$,
    $$VALUES (FALSE, 'reply'::text, 'whatsapp reply'::text, '2031-05-10 12:00Z'::timestamptz, TRUE)$$,
    'the history row names the reply that made it'
);
SELECT is(
    (
        SELECT array_agg(DISTINCT r.state_reason) FROM scheduling.reminders AS r
        WHERE r.person_id = tap.sid('bob')
    ),
    ARRAY['opted out by reply at Saturday 10 May 2031, 08:00 (America/New_York)'],
    'Bob''s pending rows are skipped, in his local time'
);
SELECT is(
    (
        SELECT m.person_id FROM scheduling.inbound_messages AS m
        WHERE m.provider_message_id = 'wamid.IN1'
    ),
    tap.sid('bob'),
    'the reply is stored with its sender'
);

-- A replay: the stored outcome, nothing written.
UPDATE t_written SET digest = tap.written()
WHERE tag = 'before';
SELECT is(
    pg_temp.reply('wamid.IN1', '4915112345680', 'STOP', '2031-05-10 12:05Z'), pg_temp.said('opted_out', TRUE),
    'a replayed STOP returns the stored outcome'
);
SELECT is(tap.written(), pg_temp.before(), 'and writes nothing');

-- Another language, any case, trailing punctuation: already withdrawn.
SELECT is(
    pg_temp.reply('wamid.IN2', '4915112345680', '  Stopp! '), pg_temp.said('already'),
    'Stopp! (German, trailing punctuation) is a consent word: consent was already withdrawn'
);
SELECT is(pg_temp.changes(), 3, 'already: no history row');

SELECT is(pg_temp.reply('wamid.IN3', '4915112345680', 'start.'), pg_temp.said('opted_in'), 'start. opts in');
SELECT is(pg_temp.consent('bob'), TRUE, 'Bob has consent again');
SELECT is(pg_temp.reply('wamid.IN4', '4915112345680', 'baja'), pg_temp.said('opted_out'), 'baja (Spanish) opts out');
SELECT is(
    pg_temp.reply('wamid.IN5', '4915112345680', 'arrêt'), pg_temp.said('already'),
    'arrêt (French, accented, lower case) is a consent word too'
);
SELECT is(pg_temp.reply('wamid.IN6', '4915112345680', 'STOP please'), pg_temp.said('stored'), 'other text: stored');

-- An unknown sender changes nothing but the stored message.
SELECT is(pg_temp.reply('wamid.IN7', '4915119999999', 'STOP'), pg_temp.said('unknown_sender'), 'unknown sender');
SELECT is(pg_temp.changes(), 5, 'no consent changed for an unknown sender');

-- CANCEL keeps cancelling.
SELECT is(
    pg_temp.reply('wamid.IN8', '4915112345679', 'CANCEL') ->> 'action', 'cancelled_booking',
    'CANCEL still cancels the sender''s next booking'
);

SELECT * FROM finish();
ROLLBACK;
