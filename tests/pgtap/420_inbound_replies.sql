-- Replies from the webhook: CANCEL (in reply to a reminder, or the next booking; any case, trailing punctuation)
-- cancels one booking through cancel_booking, with its reminders and the cancellation message; a replay changes
-- nothing; unknown senders, nothing to cancel, other text; phone forms; long bodies; refusals; who may call it.
BEGIN;
SELECT plan(45);
SET LOCAL timezone = 'UTC';

CREATE FUNCTION pg_temp.book(
    p_tag text, p_person text, p_starts_at timestamptz, p_policy text DEFAULT NULL
) RETURNS uuid
LANGUAGE sql AS $$SELECT tap.book(p_tag, tap.sid(p_person), p_starts_at, p_policy, '2031-04-01 00:00Z')$$;
CREATE FUNCTION pg_temp.status(p_tag text) RETURNS text
LANGUAGE sql STABLE AS $$SELECT b.status::text FROM scheduling.bookings AS b WHERE b.id = tap.sid(p_tag)$$;
-- The reply as the webhook reports it, at p_now = 10 May 2031 12:00Z unless told.
CREATE FUNCTION pg_temp.reply(
    p_id text, p_from text, p_body text, p_in_reply_to text DEFAULT NULL,
    p_provider text DEFAULT 'whatsapp', p_now timestamptz DEFAULT '2031-05-10 12:00Z'
) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT scheduling.record_inbound_message(p_provider, p_id, p_from, p_body, p_in_reply_to, NULL, p_now)
$$;
CREATE FUNCTION pg_temp.expect(p_action text, p_booking text, p_duplicate boolean DEFAULT FALSE) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('action', p_action, 'booking_id', tap.sid(p_booking), 'duplicate', p_duplicate)
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)),
('bob', scheduling.create_person('Bob', '+4915112345680', 'Europe/Berlin', TRUE)),
('cid', scheduling.create_person('Cid', '+4915112345681', 'Europe/Berlin', TRUE)),
('gone', scheduling.create_person('Gone', '+4915112345682', 'Europe/Berlin', TRUE)),
('p_ten', scheduling.create_reminder_policy('ten days before', '{10 days}'));

-- Ann: one booking in the past, one in a cancelled session, the next one, and a later one whose reminder (ten
-- days ahead) went out as wamid.LATER this morning.
SELECT pg_temp.book('ann_past', 'ann', '2031-05-05 10:00Z');
SELECT pg_temp.book('ann_off', 'ann', '2031-05-11 10:00Z');
SELECT pg_temp.book('ann_next', 'ann', '2031-05-12 10:00Z');
SELECT pg_temp.book('ann_later', 'ann', '2031-05-20 10:00Z', 'ten days before');
SELECT scheduling.cancel_session(
    (
        SELECT b.session_id FROM scheduling.bookings AS b
        WHERE b.id = tap.sid('ann_off')
    ), 'ill', 'x',
    '2031-04-02 00:00Z'
);
SELECT count(*) FROM scheduling.claim_due_reminders('w', 50, '1 hour', '2031-05-10 10:00Z');
SELECT scheduling.record_reminder_sent(r.id, r.attempt_token, 'wamid.LATER', '2031-05-10 10:01Z')
FROM scheduling.reminders AS r
WHERE r.booking_id = tap.sid('ann_later');
-- Bob: two future bookings. Cid: only a cancelled one. Gone (deleted): a future one.
SELECT pg_temp.book('bob_1', 'bob', '2031-05-13 10:00Z');
SELECT pg_temp.book('bob_2', 'bob', '2031-05-14 10:00Z');
SELECT pg_temp.book('cid_1', 'cid', '2031-05-15 10:00Z');
SELECT scheduling.cancel_booking(tap.sid('cid_1'), 'no', 'x', '2031-04-03 00:00Z');
SELECT pg_temp.book('gone_1', 'gone', '2031-05-16 10:00Z');
UPDATE scheduling.people SET deleted_at = '2031-04-04 00:00Z'
WHERE id = tap.sid('gone');

-- CANCEL in reply to another person's reminder: the sender's own next booking, not that person's.
SELECT is(
    pg_temp.reply('wamid.IN0', '4915112345680', 'CANCEL', 'wamid.LATER'),
    pg_temp.expect('cancelled_booking', 'bob_1'),
    'a reply to another person''s reminder cancels the sender''s next booking'
);
SELECT is(pg_temp.status('ann_later'), 'confirmed', 'not the booking of the reminder replied to');

-- CANCEL in reply to the reminder of the later booking: that one, not the next.
SELECT is(
    pg_temp.reply('wamid.IN1', '4915112345679', 'CANCEL', 'wamid.LATER'),
    pg_temp.expect('cancelled_booking', 'ann_later'),
    'CANCEL in reply to a reminder cancels that reminder''s booking'
);
SELECT is(pg_temp.status('ann_later'), 'cancelled', 'the booking replied to is cancelled');
SELECT is(pg_temp.status('ann_next'), 'confirmed', 'the next booking is untouched');
SELECT results_eq(
    $$SELECT cancelled_at, cancel_reason FROM scheduling.bookings WHERE id = tap.sid('ann_later')$$,
    $$VALUES ('2031-05-10 12:00Z'::timestamptz, 'cancelled by WhatsApp reply'::text)$$,
    'cancelled at p_now with the reason'
);
SELECT results_eq(
    $$SELECT to_status::text, actor, happened_at FROM scheduling.booking_status_history
    WHERE booking_id = tap.sid('ann_later') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('cancelled'::text, 'whatsapp:+4915112345679'::text, '2031-05-10 12:00Z'::timestamptz)$$,
    'the history names the WhatsApp sender as actor'
);
SELECT results_eq(
    $$SELECT kind::text, state::text, due_at, template_name FROM scheduling.reminders
    WHERE booking_id = tap.sid('ann_later') ORDER BY kind, due_at$$,
    $$VALUES ('cancellation'::text, 'pending'::text, '2031-05-10 12:00Z'::timestamptz, 'appointment_cancelled'::text),
        ('reminder', 'sent', '2031-05-10 10:00Z', 'session_reminder')$$,
    'the sent reminder stays sent; the cancellation message is queued, due now'
);
SELECT results_eq(
    $$SELECT provider, from_phone, body, in_reply_to, received_at, recorded_at, person_id, action, booking_id
    FROM scheduling.inbound_messages WHERE provider_message_id = 'wamid.IN1'$$,
    $$VALUES ('whatsapp'::text, '+4915112345679'::text, 'CANCEL'::text, 'wamid.LATER'::text,
        '2031-05-10 12:00Z'::timestamptz, '2031-05-10 12:00Z'::timestamptz, tap.sid('ann'),
        'cancelled_booking'::text, tap.sid('ann_later'))$$,
    'the message is stored with sender, person, action and booking; the Meta phone form gets its +'
);

-- Replays of the same message id change nothing, whatever they carry.
CREATE TEMP TABLE t_before AS SELECT tap.written() AS w;
SELECT is(
    pg_temp.reply('wamid.IN1', '4915112345679', 'CANCEL', 'wamid.LATER', p_now => '2031-05-10 12:05Z'),
    pg_temp.expect('cancelled_booking', 'ann_later', TRUE),
    'a replay returns the stored outcome with duplicate true'
);
SELECT is(
    pg_temp.reply('wamid.IN1', '4915112345679', 'CANCEL', p_now => '2031-05-10 12:06Z'),
    pg_temp.expect('cancelled_booking', 'ann_later', TRUE),
    'a replay without the reply context too'
);
SELECT is(tap.written(), (SELECT w FROM t_before), 'the replays wrote nothing and cancelled nothing');
SELECT is(pg_temp.status('ann_next'), 'confirmed', 'in particular the next booking is still confirmed');

-- A new CANCEL in reply to the reminder of the booking already cancelled: nothing, not the next booking.
SELECT is(
    pg_temp.reply('wamid.IN1b', '4915112345679', 'CANCEL', 'wamid.LATER', p_now => '2031-05-10 12:07Z'),
    pg_temp.expect('nothing_to_cancel', NULL),
    'a reply to a message of ours whose booking cannot be cancelled cancels nothing else'
);
SELECT is(pg_temp.status('ann_next'), 'confirmed', 'the next booking is still confirmed after it');

-- cancel. (lower case, a dot), no reply context: the next booking that can be cancelled, skipping the past one
-- and the one in a cancelled session.
SELECT is(
    pg_temp.reply('wamid.IN2', '+4915112345679', E'  cancel.\n'),
    pg_temp.expect('cancelled_booking', 'ann_next'),
    '"cancel." cancels the next booking'
);
SELECT results_eq(
    $$SELECT kind::text, state::text, state_reason FROM scheduling.reminders
    WHERE booking_id = tap.sid('ann_next') ORDER BY kind$$,
    $$VALUES ('cancellation'::text, 'pending'::text, 'booking cancelled: cancelled by WhatsApp reply'::text),
        ('reminder', 'cancelled', 'booking cancelled: cancelled by WhatsApp reply')$$,
    'its pending reminder is cancelled, its cancellation message queued'
);
SELECT is(
    (SELECT array_agg(pg_temp.status(t) ORDER BY t) FROM unnest(ARRAY['ann_past', 'ann_off']) AS t),
    ARRAY['confirmed', 'confirmed'], 'the past booking and the one in a cancelled session are left alone'
);
SELECT is(
    pg_temp.reply('wamid.IN3', '+4915112345679', 'Cancel!'),
    pg_temp.expect('nothing_to_cancel', NULL),
    'CANCEL with only past bookings and bookings of cancelled sessions left: nothing_to_cancel'
);
SELECT is(
    pg_temp.reply('wamid.IN4', '+4915112345681', 'CANCEL'),
    pg_temp.expect('nothing_to_cancel', NULL),
    'CANCEL from someone whose only booking is cancelled: nothing_to_cancel'
);
SELECT results_eq(
    $$SELECT provider_message_id, person_id, action, booking_id FROM scheduling.inbound_messages
    WHERE provider_message_id IN ('wamid.IN3', 'wamid.IN4') ORDER BY provider_message_id$$,
    $$VALUES ('wamid.IN3'::text, tap.sid('ann'), 'nothing_to_cancel'::text, NULL::uuid),
        ('wamid.IN4', tap.sid('cid'), 'nothing_to_cancel', NULL)$$,
    'nothing_to_cancel is stored with the sender'
);

-- Twilio's whatsapp:+ form; a reply to a message that is no reminder falls back to the next booking.
SELECT is(
    pg_temp.reply('SM00000000000000000000000000000001', 'whatsapp:+4915112345680', 'CANCEL', 'SMunknown', 'twilio'),
    pg_temp.expect('cancelled_booking', 'bob_2'),
    'twilio whatsapp:+ sender, reply to an unknown message: the next booking is cancelled'
);
SELECT is(
    (
        SELECT from_phone FROM scheduling.inbound_messages
        WHERE provider = 'twilio'
    ), '+4915112345680',
    'the whatsapp: prefix is dropped'
);
SELECT is(
    pg_temp.reply('SM00000000000000000000000000000001', 'whatsapp:+4915112345680', 'CANCEL', NULL, 'whatsapp'),
    pg_temp.expect('nothing_to_cancel', NULL),
    'the same id from the other provider is another message (and bob has nothing left to cancel)'
);

-- Any other text is stored and ignored.
SELECT is(
    pg_temp.reply('wamid.IN6', '4915112345680', 'cancel my booking please', 'wamid.IN6:reply'),
    pg_temp.expect('stored', NULL),
    'other text (even with cancel in it): stored'
);
SELECT is(
    pg_temp.reply('wamid.IN7', '4915112345680', NULL, '  '),
    pg_temp.expect('stored', NULL),
    'no text at all (a picture): stored'
);
SELECT results_eq(
    $$SELECT body, person_id, action FROM scheduling.inbound_messages
    WHERE provider_message_id IN ('wamid.IN6', 'wamid.IN7') ORDER BY provider_message_id$$,
    $$VALUES ('cancel my booking please'::text, tap.sid('bob'), 'stored'::text),
        (NULL, tap.sid('bob'), 'stored')$$,
    'stored with body and sender'
);

-- Unknown senders, including a deleted person's phone: nothing is cancelled.
SELECT is(
    pg_temp.reply('wamid.IN8', '15551234567', 'CANCEL'),
    pg_temp.expect('unknown_sender', NULL),
    'CANCEL from a phone no person has: unknown_sender'
);
SELECT is(
    pg_temp.reply('wamid.IN9', '+4915112345682', 'CANCEL'),
    pg_temp.expect('unknown_sender', NULL),
    'CANCEL from a deleted person''s phone: unknown_sender'
);
SELECT is(pg_temp.status('gone_1'), 'confirmed', 'the deleted person''s booking is untouched');
SELECT results_eq(
    $$SELECT from_phone, person_id, action FROM scheduling.inbound_messages
    WHERE provider_message_id IN ('wamid.IN8', 'wamid.IN9') ORDER BY provider_message_id$$,
    $$VALUES ('+15551234567'::text, NULL::uuid, 'unknown_sender'::text),
        ('+4915112345682', NULL, 'unknown_sender')$$,
    'unknown senders are stored without a person'
);

-- Long bodies are cut to WhatsApp's 4096 characters.
SELECT is(
    pg_temp.reply('wamid.LONG', '+4915112345680', repeat('ü', 4000) || repeat('x', 1000), repeat('w', 201)),
    pg_temp.expect('stored', NULL),
    'a 5000-character body is accepted'
);
SELECT is(
    (
        SELECT body FROM scheduling.inbound_messages
        WHERE provider_message_id = 'wamid.LONG'
    ),
    repeat('ü', 4000) || repeat('x', 96),
    'and stored as its first 4096 characters'
);

SELECT is(
    (
        SELECT array_agg(coalesce(in_reply_to, '-') ORDER BY provider_message_id) FROM scheduling.inbound_messages
        WHERE provider_message_id IN ('wamid.IN6', 'wamid.IN7', 'wamid.IN8', 'wamid.IN9', 'wamid.LONG')
    ),
    ARRAY['wamid.IN6:reply', '-', '-', '-', '-'],
    'the replied-to id is kept; a blank one or one over 200 characters is kept as none'
);

-- Refusals: nothing written.
DROP TABLE t_before;
CREATE TEMP TABLE t_before AS SELECT tap.written() AS w;
SELECT throws_ok(
    $$SELECT pg_temp.reply('wamid.BAD1', 'hello', 'CANCEL')$$, 'SK006', NULL, 'a sender that is not a phone: SK006'
);
SELECT throws_ok(
    $$SELECT pg_temp.reply('wamid.BAD2', '+12', 'CANCEL')$$, 'SK006', NULL, 'a phone too short: SK006'
);
SELECT throws_ok(
    $$SELECT pg_temp.reply('wamid.BAD3', 'whatsapp:', 'CANCEL')$$, 'SK006', NULL, 'only the prefix: SK006'
);
SELECT throws_ok(
    $$SELECT pg_temp.reply('wamid.BAD4', '+04915112345679', 'CANCEL')$$, 'SK006', NULL, 'a leading 0: SK006'
);
SELECT throws_ok(
    $$SELECT pg_temp.reply('wamid.BAD5', NULL, 'CANCEL')$$, 'SK006', NULL, 'no sender: SK006'
);
SELECT throws_ok(
    $$SELECT pg_temp.reply('wamid.BAD6', '+4915112345679', 'CANCEL', NULL, 'sms')$$, 'SK035', NULL,
    'unknown provider: SK035'
);
SELECT throws_ok(
    $$SELECT pg_temp.reply(' ', '+4915112345679', 'CANCEL')$$, 'SK036', NULL, 'blank message id: SK036'
);
SELECT throws_ok(
    $$SELECT pg_temp.reply('wamid.BAD7', '+4915112345679', 'CANCEL', p_now => NULL)$$, 'SK009', NULL,
    'NULL p_now: SK009'
);
SELECT is(tap.written(), (SELECT w FROM t_before), 'the refusals wrote nothing');

-- Who may call it: the webhook role, not the app role.
SET LOCAL ROLE sessionkeeper_webhook;
SELECT is(
    scheduling.record_inbound_message('whatsapp', 'wamid.ROLE', '15559876543', 'hi', p_now => '2031-05-10 12:00Z'),
    '{"action": "unknown_sender", "booking_id": null, "duplicate": false}'::jsonb,
    'sessionkeeper_webhook may record an inbound message'
);
RESET ROLE;
SET LOCAL ROLE sessionkeeper_app;
SELECT throws_ok(
    $$SELECT scheduling.record_inbound_message('whatsapp', 'wamid.ROLE2', '15559876543', 'hi')$$, '42501', NULL,
    'sessionkeeper_app may not record inbound messages'
);
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
