-- Delivery statuses from the webhook: applied, duplicate, stale, unmatched, ignored; the order rule (read before
-- delivered, failed after sent or after delivered); a report that comes before the worker records the send;
-- refusals with their SQLSTATE and nothing written; who may call it.
BEGIN;
SELECT plan(53);
SET LOCAL timezone = 'UTC';

-- Booking p_tag: an appointment on 1 May 2031 + p_day days at 10:00Z, its one reminder due an hour before.
CREATE FUNCTION pg_temp.book(p_tag text, p_day integer) RETURNS uuid
LANGUAGE sql AS $$
    SELECT tap.book(
        p_tag, tap.sid('ann'), '2031-05-01 10:00Z'::timestamptz + make_interval(days => p_day), NULL,
        '2031-04-01 00:00Z'
    )
$$;
-- The worker: claim the booking's reminder at its due time (rows due earlier must be recorded by then), then
-- (pg_temp.sent) record its send a minute later.
CREATE FUNCTION pg_temp.claim(p_tag text) RETURNS integer
LANGUAGE sql AS $$
    SELECT count(*)::integer FROM scheduling.claim_due_reminders(
        'w', 50, '1 hour', (SELECT r.due_at FROM scheduling.reminders AS r WHERE r.id = tap.rid(p_tag))
    )
$$;
CREATE FUNCTION pg_temp.sent(p_tag text, p_message_id text) RETURNS text
LANGUAGE sql AS $$
    SELECT scheduling.record_reminder_sent(r.id, r.attempt_token, p_message_id, r.due_at + interval '1 minute')::text
    FROM scheduling.reminders AS r WHERE r.id = tap.rid(p_tag)
$$;
CREATE FUNCTION pg_temp.delivery(p_tag text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT concat_ws(
        ' | ', r.state, coalesce(r.delivery_status::text, '-'), r.delivery_status_at, r.delivered_at, r.read_at,
        r.delivery_error_code, r.delivery_error_message
    )
    FROM scheduling.reminders AS r WHERE r.id = tap.rid(p_tag)
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann Smith', '+4915112345679', 'Europe/Berlin', TRUE));
SELECT pg_temp.book(v.tag, v.day)
FROM (VALUES ('fwd', 0), ('ooo', 1), ('fail', 2), ('fail_late', 3), ('twilio', 4), ('early', 5)) AS v (tag, day);
SELECT pg_temp.claim('fwd');
SELECT pg_temp.sent('fwd', 'wamid.FWD');
SELECT pg_temp.claim('ooo');
SELECT pg_temp.sent('ooo', 'wamid.OOO');
SELECT pg_temp.claim('fail');
SELECT pg_temp.sent('fail', 'wamid.FAIL');
SELECT pg_temp.claim('fail_late');
SELECT pg_temp.sent('fail_late', 'wamid.LATE');
SELECT pg_temp.claim('twilio');
SELECT pg_temp.sent('twilio', 'SM0123456789abcdef0123456789abcdef');

-- Forward, one report at a time; the same report again is a duplicate.
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.FWD', 'sent', '2031-05-01 09:01:05Z', p_now => '2031-05-01 09:01:07Z'
    ),
    'applied', 'sent: applied'
);
SELECT is(
    pg_temp.delivery('fwd'), 'sent | sent | 2031-05-01 09:01:05+00',
    'delivery_status sent, delivery_status_at the provider''s time; the outbox state stays sent'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.FWD', 'sent', '2031-05-01 09:01:05Z', p_now => '2031-05-01 09:02:00Z'
    ),
    'duplicate', 'the same sent report again: duplicate'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.provider_events
        WHERE provider_message_id = 'wamid.FWD'
    ), 1,
    'a duplicate stores nothing more'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.FWD', 'delivered', '2031-05-01 09:01:09Z', p_now => '2031-05-01 09:01:10Z'
    ),
    'applied', 'delivered after sent: applied'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.FWD', 'read', '2031-05-01 09:20:00Z', p_now => '2031-05-01 09:20:01Z'
    ),
    'applied', 'read after delivered: applied'
);
SELECT is(
    pg_temp.delivery('fwd'),
    'sent | read | 2031-05-01 09:20:00+00 | 2031-05-01 09:01:09+00 | 2031-05-01 09:20:00+00',
    'read, with delivered_at and read_at from their reports'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.FWD', 'delivered', '2031-05-01 09:01:09Z', p_now => '2031-05-01 09:30:00Z'
    ),
    'duplicate', 'delivered redelivered after read: duplicate'
);
SELECT results_eq(
    $$SELECT status::text, provider_status, outcome, reminder_id, received_at FROM scheduling.provider_events
    WHERE provider_message_id = 'wamid.FWD' ORDER BY id$$,
    $$VALUES ('sent', 'sent', 'applied', tap.rid('fwd'), '2031-05-01 09:01:07Z'::timestamptz),
        ('delivered', 'delivered', 'applied', tap.rid('fwd'), '2031-05-01 09:01:10Z'),
        ('read', 'read', 'applied', tap.rid('fwd'), '2031-05-01 09:20:01Z')$$,
    'provider_events: one row per status, matched to the reminder, received_at = p_now'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminder_state_history
        WHERE reminder_id = tap.rid('fwd') AND happened_at > '2031-05-01 09:01:00Z'
    ),
    0, 'no outbox state change is recorded for delivery reports'
);

-- Out of order: read before delivered; delivered then only fills delivered_at.
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.OOO', 'read', '2031-05-02 09:10:00Z', p_now => '2031-05-02 09:10:02Z'
    ),
    'applied', 'read before any other report: applied'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.OOO', 'delivered', '2031-05-02 09:01:30Z', p_now => '2031-05-02 09:10:03Z'
    ),
    'stale', 'delivered after read: stale'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.OOO', 'sent', '2031-05-02 09:01:10Z', p_now => '2031-05-02 09:10:04Z'
    ),
    'stale', 'sent after read: stale'
);
SELECT is(
    pg_temp.delivery('ooo'),
    'sent | read | 2031-05-02 09:10:00+00 | 2031-05-02 09:01:30+00 | 2031-05-02 09:10:00+00',
    'still read (delivery_status_at of the read report), delivered_at filled in by the late delivered report'
);
SELECT results_eq(
    $$SELECT status::text, outcome FROM scheduling.provider_events WHERE provider_message_id = 'wamid.OOO'
    ORDER BY id$$,
    $$VALUES ('read', 'applied'), ('delivered', 'stale'), ('sent', 'stale')$$,
    'stale reports are stored with outcome stale'
);

-- Failed after sent replaces it, with the error; failed after delivered does not.
SELECT scheduling.record_delivery_status(
    'whatsapp', 'wamid.FAIL', 'sent', '2031-05-03 09:01:05Z', p_now => '2031-05-03 09:01:06Z'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.FAIL', 'failed', '2031-05-03 09:01:20Z', '131026', 'Message undeliverable',
        '2031-05-03 09:01:21Z'
    ),
    'applied', 'failed after sent: applied'
);
SELECT is(
    pg_temp.delivery('fail'),
    'undelivered | failed | 2031-05-03 09:01:20+00 | 131026 | Message undeliverable',
    'failed with the provider''s error code and message; a final code: the outbox state becomes undelivered'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.FAIL', 'delivered', '2031-05-03 09:02:00Z', p_now => '2031-05-03 09:02:01Z'
    ),
    'applied', 'delivered after failed: applied (it proves delivery)'
);
SELECT is(
    pg_temp.delivery('fail'),
    'sent | delivered | 2031-05-03 09:02:00+00 | 2031-05-03 09:02:00+00 | 131026 | Message undeliverable',
    'delivered, so sent again; the error of the failed report is kept'
);
SELECT scheduling.record_delivery_status(
    'whatsapp', 'wamid.LATE', 'delivered', '2031-05-04 09:01:10Z', p_now => '2031-05-04 09:01:11Z'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.LATE', 'failed', '2031-05-04 09:01:30Z', '131000', 'Something went wrong',
        '2031-05-04 09:01:31Z'
    ),
    'stale', 'failed after delivered: stale'
);
SELECT is(
    pg_temp.delivery('fail_late'),
    'sent | delivered | 2031-05-04 09:01:10+00 | 2031-05-04 09:01:10+00',
    'still delivered, no error on the reminder'
);
SELECT results_eq(
    $$SELECT error_code, error_message, outcome FROM scheduling.provider_events
    WHERE provider_message_id = 'wamid.LATE' AND status = 'failed'$$,
    $$VALUES ('131000'::text, 'Something went wrong'::text, 'stale'::text)$$,
    'the stale failed report keeps its error in provider_events'
);

SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.LATE', 'read', NULL, repeat('7', 5000), repeat('x', 5000), '2031-05-04 09:20:00Z'
    ),
    'applied', 'a report with a 5000-character error code and message is taken'
);
SELECT results_eq(
    $$SELECT char_length(error_code), char_length(error_message) FROM scheduling.provider_events
    WHERE provider_message_id = 'wamid.LATE' AND status = 'read'$$,
    $$VALUES (100, 1000)$$,
    'its error code is kept to 100 characters, its message to 1000'
);

-- Twilio: undelivered is failed; interim statuses are ignored.
SELECT is(
    scheduling.record_delivery_status(
        'twilio', 'SM0123456789abcdef0123456789abcdef', 'undelivered', NULL, '63016', NULL, '2031-05-05 09:01:30Z'
    ),
    'applied', 'twilio undelivered: applied'
);
SELECT is(
    pg_temp.delivery('twilio'), 'undelivered | failed | 2031-05-05 09:01:30+00 | 63016',
    'failed, delivery_status_at = p_now when the provider gives no time'
);
SELECT is(
    (
        SELECT provider_status FROM scheduling.provider_events
        WHERE provider = 'twilio'
    ),
    'undelivered', 'the provider''s own word is kept'
);
SELECT is(
    (
        SELECT array_agg(scheduling.record_delivery_status(v.provider, 'SMignored', v.word) ORDER BY v.word)
        FROM (
            VALUES ('twilio', 'queued'), ('twilio', 'accepted'), ('twilio', 'sending'), ('twilio', 'scheduled'),
            ('twilio', 'canceled'), ('whatsapp', 'deleted'), ('whatsapp', 'warning')
        ) AS v (provider, word)
    ),
    ARRAY['ignored', 'ignored', 'ignored', 'ignored', 'ignored', 'ignored', 'ignored'],
    'interim twilio statuses and whatsapp deleted / warning: ignored'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.provider_events
        WHERE provider_message_id = 'SMignored'
    ), 0,
    'ignored statuses store nothing'
);

-- A report before the worker has recorded the send: unmatched, then applied by record_reminder_sent.
SELECT pg_temp.claim('early');
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.EARLY', 'read', '2031-05-06 09:00:40Z', p_now => '2031-05-06 09:00:41Z'
    ),
    'unmatched', 'read before the send is recorded: unmatched'
);
SELECT is(
    scheduling.record_delivery_status(
        'whatsapp', 'wamid.EARLY', 'delivered', '2031-05-06 09:00:30Z', p_now => '2031-05-06 09:00:42Z'
    ),
    'unmatched', 'delivered, arriving after read, before the send is recorded: unmatched'
);
SELECT is(
    (
        SELECT delivery_status::text FROM scheduling.reminders
        WHERE id = tap.rid('early')
    ), NULL,
    'the leased reminder is untouched meanwhile'
);
SELECT is(pg_temp.sent('early', 'wamid.EARLY'), 'sent', 'record_reminder_sent still records the send');
SELECT is(
    pg_temp.delivery('early'),
    'sent | read | 2031-05-06 09:00:40+00 | 2031-05-06 09:00:30+00 | 2031-05-06 09:00:40+00',
    'record_reminder_sent applied both waiting reports'
);
SELECT results_eq(
    $$SELECT status::text, outcome, reminder_id FROM scheduling.provider_events
    WHERE provider_message_id = 'wamid.EARLY' ORDER BY status_at$$,
    $$VALUES ('delivered', 'applied', tap.rid('early')), ('read', 'applied', tap.rid('early'))$$,
    'the waiting reports are matched to the reminder, in the order they happened'
);
SELECT is(
    scheduling.record_delivery_status('whatsapp', 'wamid.EARLY', 'sent', p_now => '2031-05-06 09:05:00Z'),
    'stale', 'a sent report after that: stale'
);
SELECT is(
    scheduling.record_delivery_status('whatsapp', 'wamid.NOBODY', 'delivered', p_now => '2031-05-06 09:05:00Z'),
    'unmatched', 'an id no reminder has: unmatched'
);
SELECT is(
    (
        SELECT reminder_id FROM scheduling.provider_events
        WHERE provider_message_id = 'wamid.NOBODY'
    ), NULL,
    'stored without a reminder'
);

-- Refusals: nothing written.
CREATE TEMP TABLE t_before AS SELECT tap.written() AS w;
SELECT throws_ok(
    $$SELECT scheduling.record_delivery_status('telegram', 'wamid.FWD', 'read')$$, 'SK035', NULL,
    'unknown provider: SK035'
);
SELECT throws_ok(
    $$SELECT scheduling.record_delivery_status(NULL, 'wamid.FWD', 'read')$$, 'SK035', NULL, 'NULL provider: SK035'
);
SELECT throws_ok(
    $$SELECT scheduling.record_delivery_status('whatsapp', NULL, 'read')$$, 'SK036', NULL, 'NULL message id: SK036'
);
SELECT throws_ok(
    $$SELECT scheduling.record_delivery_status('whatsapp', '   ', 'read')$$, 'SK036', NULL,
    'blank message id: SK036'
);
SELECT throws_ok(
    $$SELECT scheduling.record_delivery_status('whatsapp', repeat('x', 201), 'read')$$, 'SK036', NULL,
    'message id over 200 characters: SK036'
);
SELECT throws_ok(
    $$SELECT scheduling.record_delivery_status('whatsapp', 'wamid.FWD', 'exploded')$$, 'SK037', NULL,
    'unknown status word: SK037'
);
SELECT throws_ok(
    $$SELECT scheduling.record_delivery_status('whatsapp', 'wamid.FWD', 'undelivered')$$, 'SK037', NULL,
    'twilio''s undelivered from whatsapp: SK037'
);
SELECT throws_ok(
    $$SELECT scheduling.record_delivery_status('twilio', 'SMx', NULL)$$, 'SK037', NULL, 'NULL status: SK037'
);
SELECT is(tap.written(), (SELECT w FROM t_before), 'the refusals wrote nothing');

-- Who may call it: the webhook role, not the app role; apply_delivery_events is nobody's.
SET LOCAL ROLE sessionkeeper_webhook;
SELECT is(
    scheduling.record_delivery_status('whatsapp', 'wamid.ROLE', 'delivered', p_now => '2031-05-05 09:05:00Z'),
    'unmatched', 'sessionkeeper_webhook may record a delivery status'
);
SELECT throws_ok(
    $$SELECT scheduling_internal.apply_delivery_events(gen_random_uuid())$$, '42501', NULL,
    'sessionkeeper_webhook may not call apply_delivery_events'
);
RESET ROLE;
SET LOCAL ROLE sessionkeeper_app;
SELECT throws_ok(
    $$SELECT scheduling.record_delivery_status('whatsapp', 'wamid.ROLE', 'read')$$, '42501', NULL,
    'sessionkeeper_app may not record delivery statuses'
);
RESET ROLE;

-- What apps see.
SELECT results_eq(
    $$SELECT delivery_status, delivered_at, read_at, delivery_error_code FROM scheduling.reminder_status
    WHERE booking_id IN (tap.sid('ooo'), tap.sid('twilio')) ORDER BY due_at$$,
    $$VALUES ('read'::text, '2031-05-02 09:01:30Z'::timestamptz, '2031-05-02 09:10:00Z'::timestamptz, NULL::text),
        ('failed', NULL, NULL, '63016')$$,
    'reminder_status shows delivery_status, delivered_at, read_at and delivery_error_code'
);

-- The archive keeps the delivery columns: same columns in the same order as reminders, archived_at last.
SELECT is(
    (
        SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute AS a
        WHERE a.attrelid = 'scheduling.reminders_archive'::regclass AND a.attnum > 0 AND NOT a.attisdropped
    ),
    (
        SELECT array_agg(a.attname::text ORDER BY a.attnum) || ARRAY['archived_at'] FROM pg_attribute AS a
        WHERE a.attrelid = 'scheduling.reminders'::regclass AND a.attnum > 0 AND NOT a.attisdropped
    ),
    'reminders_archive has the columns of reminders in their order, then archived_at'
);
SELECT scheduling.cancel_session(b.session_id, 'x', 'x', '2031-05-02 09:30Z')
FROM scheduling.bookings AS b
WHERE b.id = tap.sid('ooo');
SELECT scheduling.archive_closed_sessions('1 day', 100, '2031-06-01 00:00Z');
SELECT results_eq(
    $$SELECT state::text, delivery_status::text, delivered_at, read_at, archived_at FROM scheduling.reminders_archive
    WHERE booking_id = tap.sid('ooo') AND kind = 'reminder'$$,
    $$VALUES ('sent'::text, 'read'::text, '2031-05-02 09:01:30Z'::timestamptz, '2031-05-02 09:10:00Z'::timestamptz,
        '2031-06-01 00:00Z'::timestamptz)$$,
    'archive_closed_sessions moves a reminder with its delivery columns'
);

SELECT * FROM finish();
ROLLBACK;
