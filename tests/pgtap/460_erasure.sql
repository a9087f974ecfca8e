-- Erasure: erase_person takes a person's name, phone and the text they wrote out of every table, live and
-- archived, keeps their rows, ids and counts, cancels their seats ahead (history kept, the waitlist promoted for
-- others) and leaves nothing queued to them; twice is a no-op; unknown people and hosts of live sessions refused.
BEGIN;
SELECT plan(34);
SET LOCAL timezone = 'UTC';

-- The tables of schema scheduling with a row whose text (every column, jsonb included) contains p_text.
CREATE FUNCTION pg_temp.holding(p_text text) RETURNS text []
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_table regclass;
    v_found boolean;
    v_tables text [] := '{}';
BEGIN
    FOR v_table IN
        SELECT c.oid::regclass FROM pg_class AS c
        WHERE c.relnamespace = 'scheduling'::regnamespace AND c.relkind = 'r'
        ORDER BY c.relname
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT FROM %s AS t WHERE strpos(t::text, %L) > 0)', v_table, p_text)
        INTO v_found;
        IF v_found THEN
            v_tables := v_tables || v_table::text;
        END IF;
    END LOOP;
    RETURN v_tables;
END;
$$;
-- How many rows of each table name the person tagged p_tag (directly or through their bookings and reminders).
CREATE FUNCTION pg_temp.rows_of(p_tag text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'bookings', (SELECT count(*) FROM scheduling.bookings WHERE person_id = tap.sid(p_tag)),
        'bookings_archive', (SELECT count(*) FROM scheduling.bookings_archive WHERE person_id = tap.sid(p_tag)),
        'booking_history_archive', (
            SELECT count(*) FROM scheduling.booking_status_history_archive AS h
            INNER JOIN scheduling.bookings_archive AS b ON h.booking_id = b.id
            WHERE b.person_id = tap.sid(p_tag)
        ),
        'reminders_archive', (SELECT count(*) FROM scheduling.reminders_archive WHERE person_id = tap.sid(p_tag)),
        'inbound', (SELECT count(*) FROM scheduling.inbound_messages),
        'inbound_archive', (SELECT count(*) FROM scheduling.inbound_messages_archive),
        'provider_events', (SELECT count(*) FROM scheduling.provider_events),
        'attended', (
            SELECT count(*) FROM scheduling.bookings AS b
            INNER JOIN scheduling.sessions AS s ON b.session_id = s.id
            WHERE b.person_id = tap.sid(p_tag) AND s.status = 'completed' AND b.status = 'confirmed'
        )
    )
$$;
CREATE FUNCTION pg_temp.claim(p_now timestamptz) RETURNS bigint
LANGUAGE sql AS $$SELECT count(*) FROM scheduling.claim_due_reminders('w', 50, '1 hour', p_now)$$;
CREATE FUNCTION pg_temp.sent(p_booking text, p_wamid text, p_now timestamptz) RETURNS void
LANGUAGE sql AS $$
    SELECT scheduling.record_reminder_sent(r.id, r.attempt_token, p_wamid, p_now)
    FROM scheduling.reminders AS r
    WHERE r.booking_id = tap.sid(p_booking) AND r.state = 'leased'
$$;
CREATE FUNCTION pg_temp.session_of(p_booking text) RETURNS uuid
LANGUAGE sql STABLE AS $$SELECT b.session_id FROM scheduling.bookings AS b WHERE b.id = tap.sid(p_booking)$$;

-- Before Petra was known, a message from her phone (an unknown sender).
SELECT scheduling.record_inbound_message(
    'whatsapp', 'wamid.IN0', '4915199990001', 'Hello, this is Petra Privat', NULL, NULL, '2031-04-01 00:00Z'
);

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('petra', scheduling.create_person('Petra Privat', '+4915199990001', 'Europe/Berlin', TRUE)),
('bob', scheduling.create_person('Bob', '+4915112345680', 'Europe/Berlin', TRUE)),
('olga', scheduling.create_person('Olga Old', '+4915112345690', 'Europe/Berlin')),
('p_erasure', scheduling.create_reminder_policy('erasure', '{9 days, 1 day}'));
UPDATE scheduling.people SET language = 'de'
WHERE id = tap.sid('petra');

-- An old session she cancelled by WhatsApp (actor whatsapp:+phone), then cancelled and archived.
INSERT INTO tap.ids VALUES
(
    'old', scheduling.create_session(
        tap.sid('host'), 'Old class', '2031-04-20 10:00Z', '2031-04-20 11:00Z', p_capacity => 3,
        p_now => '2031-04-01 00:00Z'
    )
);
INSERT INTO tap.ids VALUES
('petra_old', scheduling.create_booking(tap.sid('old'), tap.sid('petra'), NULL, 'x', '2031-04-01 00:00Z'));
SELECT scheduling.record_inbound_message(
    'whatsapp', 'wamid.IN1', '+4915199990001', 'CANCEL', NULL, NULL, '2031-04-02 00:00Z'
);
SELECT scheduling.cancel_session(tap.sid('old'), 'rain', 'x', '2031-04-03 00:00Z');

-- A past appointment she attended: its reminder sent, then reported undeliverable with her number in the error.
SELECT tap.book('petra_past', tap.sid('petra'), '2031-05-05 10:00Z', NULL, '2031-04-01 00:00Z');
SELECT pg_temp.claim('2031-05-05 09:00Z');
SELECT pg_temp.sent('petra_past', 'wamid.P1', '2031-05-05 09:01Z');
SELECT scheduling.record_delivery_status(
    'whatsapp', 'wamid.P1', 'failed', NULL, '131026', 'Message undeliverable to +4915199990001',
    '2031-05-05 09:02Z'
);
SELECT scheduling.start_session(pg_temp.session_of('petra_past'), 'x', '2031-05-05 10:00Z');
SELECT scheduling.complete_session(pg_temp.session_of('petra_past'), 'x', '2031-05-05 10:30Z');

-- Olga hosted a session Bob attended: his reminder names her.
INSERT INTO tap.ids VALUES
(
    'olga_s', scheduling.create_session(
        tap.sid('olga'), 'Olga''s class', '2031-05-06 10:00Z', '2031-05-06 11:00Z', p_now => '2031-04-01 00:00Z'
    )
);
INSERT INTO tap.ids VALUES
('bob_olga', scheduling.create_booking(tap.sid('olga_s'), tap.sid('bob'), NULL, 'x', '2031-04-01 00:00Z'));
SELECT pg_temp.claim('2031-05-06 09:00Z');
SELECT pg_temp.sent('bob_olga', 'wamid.B1', '2031-05-06 09:01Z');
SELECT scheduling.start_session(tap.sid('olga_s'), 'x', '2031-05-06 10:00Z');
SELECT scheduling.complete_session(tap.sid('olga_s'), 'x', '2031-05-06 10:30Z');

SELECT scheduling.archive_closed_sessions('7 days', 100, '2031-05-10 00:00Z');

-- Ahead: a full group session she holds the seat of, Bob waiting; another where she waits behind Bob.
INSERT INTO tap.ids VALUES
(
    'full', scheduling.create_session(
        tap.sid('host'), 'Full class', '2031-05-20 10:00Z', '2031-05-20 11:00Z', p_now => '2031-04-01 00:00Z'
    )
),
(
    'other', scheduling.create_session(
        tap.sid('host'), 'Other class', '2031-05-21 10:00Z', '2031-05-21 11:00Z', p_now => '2031-04-01 00:00Z'
    )
);
UPDATE scheduling.sessions SET reminder_policy_id = tap.sid('p_erasure')
WHERE id = tap.sid('full');
INSERT INTO tap.ids
SELECT
    'petra_full' AS tag,
    e.booking_id
FROM scheduling.enroll(tap.sid('full'), tap.sid('petra'), p_now => '2031-05-01 00:00Z') AS e;
SELECT scheduling.enroll(tap.sid('full'), tap.sid('bob'), p_now => '2031-05-01 00:00Z');
SELECT scheduling.enroll(tap.sid('other'), tap.sid('bob'), p_now => '2031-05-01 00:00Z');
SELECT scheduling.enroll(tap.sid('other'), tap.sid('petra'), p_now => '2031-05-01 00:00Z');
-- Her nine-days-before reminder is claimed (leased), the one-day-before one pending; and she wrote to us.
SELECT pg_temp.claim('2031-05-11 10:00Z');
SELECT scheduling.record_inbound_message(
    'whatsapp', 'wamid.IN2', '+4915199990001', 'Please forget me. Petra Privat', NULL, NULL, '2031-05-11 10:05Z'
);

SELECT results_eq(
    $$SELECT state::text, count(*) FROM scheduling.reminders WHERE booking_id = tap.sid('petra_full')
      GROUP BY state ORDER BY state$$,
    $$VALUES ('leased', 1::bigint), ('pending', 1::bigint)$$,
    'before: her seat ahead has one reminder leased and one pending'
);
SELECT is(
    pg_temp.holding('Petra Privat'),
    ARRAY[
        'scheduling.inbound_messages', 'scheduling.people', 'scheduling.reminders', 'scheduling.reminders_archive'
    ],
    'before: her name is in these tables'
);
SELECT is(
    pg_temp.holding('4915199990001'),
    ARRAY[
        'scheduling.booking_status_history_archive', 'scheduling.inbound_messages',
        'scheduling.inbound_messages_archive', 'scheduling.people', 'scheduling.provider_events',
        'scheduling.reminder_state_history', 'scheduling.reminders'
    ],
    'before: her phone is in these tables'
);
SELECT ok(pg_temp.holding('Olga Old') @> ARRAY['scheduling.reminders'], 'before: Bob''s reminder names Olga');

CREATE TEMP TABLE t_before AS SELECT pg_temp.rows_of('petra') AS rows_of;
CREATE TEMP TABLE t_written AS SELECT tap.written() AS digest;

-- Refusals write nothing.
SELECT throws_ok(
    $$SELECT scheduling.erase_person('00000000-0000-4000-8000-000000000000', 'asked', 'x', '2031-05-11 10:30Z')$$,
    'SK007', 'cannot erase person 00000000-0000-4000-8000-000000000000: person not found',
    'an unknown person is refused (SK007)'
);
SELECT throws_ok(
    $$SELECT scheduling.erase_person(tap.sid('petra'), '  ', 'x', '2031-05-11 10:30Z')$$,
    'SK009', 'erase_person: p_reason must not be blank', 'a blank reason is refused (SK009)'
);
SELECT throws_ok(
    $$SELECT scheduling.erase_person(tap.sid('petra'), NULL, 'x', '2031-05-11 10:30Z')$$,
    'SK009', 'erase_person: p_reason must not be blank', 'a NULL reason is refused (SK009)'
);
SELECT throws_ok(
    $$SELECT scheduling.erase_person(tap.sid('host'), 'left', 'x', '2031-05-11 10:30Z')$$,
    'SK055',
    format(
        'cannot erase person %s: they host 2 scheduled or running session(s) (the first at Tuesday 20 May 2031, '
        || '12:00 (Europe/Berlin)) and 0 recurring template(s) not ended',
        tap.sid('host')
    ),
    'a host of sessions ahead is refused (SK055), naming how many and the first'
);
SELECT is((SELECT digest FROM t_written), tap.written(), 'the refusals wrote nothing');

-- Erasure.
SELECT is(
    scheduling.erase_person(tap.sid('petra'), 'asked to be forgotten by +4915199990001', 'dpo', '2031-05-11 10:30Z')
    - ARRAY['outbox_rows_erased', 'history_rows_erased', 'bookings_erased'],
    jsonb_build_object(
        'person_id', tap.sid('petra'), 'erased_at', '2031-05-11 10:30Z'::timestamptz, 'already_erased', FALSE,
        'bookings_cancelled', 1, 'waitlist_entries_cancelled', 1, 'messages_closed', 1,
        'inbound_messages_erased', 3, 'delivery_reports_erased', 1
    ),
    'erase_person returns what it changed'
);
SELECT results_eq(
    $$SELECT full_name, phone, language, whatsapp_consent, deleted_at, erased_at, erased_by, erased_reason
      FROM scheduling.people WHERE id = tap.sid('petra')$$,
    $$VALUES ('erased person', NULL::text, NULL::text, FALSE, '2031-05-11 10:30Z'::timestamptz,
      '2031-05-11 10:30Z'::timestamptz, 'dpo', 'asked to be forgotten by erased person')$$,
    'the person: placeholder name, no phone, language or consent, deleted and erased, the reason without her phone'
);
SELECT is(pg_temp.holding('Petra Privat'), '{}', 'no table of scheduling holds her name any more');
SELECT is(pg_temp.holding('4915199990001'), '{}', 'no table of scheduling holds her phone any more');

-- Her seat ahead: cancelled as any cancellation is, Bob promoted into it.
SELECT results_eq(
    $$SELECT status::text, cancelled_at, cancel_reason FROM scheduling.bookings WHERE id = tap.sid('petra_full')$$,
    $$VALUES ('cancelled', '2031-05-11 10:30Z'::timestamptz, 'person erased')$$,
    'her booking ahead is cancelled, reason person erased'
);
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, detail, actor FROM scheduling.booking_status_history
      WHERE booking_id = tap.sid('petra_full') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('confirmed', 'cancelled', 'cancelled: person erased', 'dpo')$$,
    'the cancellation is in the booking history'
);
SELECT results_eq(
    $$SELECT b.status::text, w.status FROM scheduling.waitlist_entries AS w
      INNER JOIN scheduling.bookings AS b ON w.booking_id = b.id
      WHERE w.session_id = tap.sid('full') AND w.person_id = tap.sid('bob')$$,
    $$VALUES ('confirmed', 'promoted')$$,
    'Bob, waiting, is promoted into the freed seat'
);
SELECT is(
    (
        SELECT current_attendees FROM scheduling.sessions
        WHERE id = tap.sid('full')
    ), 1, 'the session is full again'
);
SELECT is(
    (
        SELECT status FROM scheduling.waitlist_entries
        WHERE session_id = tap.sid('other') AND person_id = tap.sid('petra')
    ),
    'cancelled',
    'her own waiting entry is cancelled'
);
SELECT results_eq(
    $$SELECT state::text, due_at FROM scheduling.reminders
      WHERE person_id = tap.sid('bob') AND session_id = tap.sid('full') AND reminder_key LIKE '%-waitlist-promoted'$$,
    $$VALUES ('pending', '2031-05-11 10:30Z'::timestamptz)$$,
    'Bob''s seat-found message is queued (to him, not to her)'
);

-- Nothing is queued to her; the cancellation message of her seat was closed at once, rendered values gone.
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminders
        WHERE person_id = tap.sid('petra') AND state IN ('pending', 'leased')
    ),
    0,
    'no message to her is pending or leased'
);
SELECT results_eq(
    $$SELECT state::text, state_reason, parameters FROM scheduling.reminders
      WHERE booking_id = tap.sid('petra_full') AND kind = 'cancellation'$$,
    $$VALUES ('skipped', 'recipient erased', '{}'::jsonb)$$,
    'the cancellation message of her seat is skipped at once: recipient erased'
);
SELECT results_eq(
    $$SELECT state::text, attempt_token IS NOT NULL FROM scheduling.reminders
      WHERE booking_id = tap.sid('petra_full') AND kind = 'reminder' ORDER BY seq$$,
    $$VALUES ('cancelled', TRUE), ('cancelled', FALSE)$$,
    'her leased and pending reminders are cancelled with the booking (the leased one keeps its token)'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminders
        WHERE person_id = tap.sid('petra') AND parameters <> '{}'
    ),
    0,
    'no live outbox row of hers keeps rendered values'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminders_archive
        WHERE person_id = tap.sid('petra') AND parameters <> '{}'
    ),
    0,
    'no archived outbox row of hers keeps rendered values'
);

-- What she wrote, and the archive.
SELECT results_eq(
    $$SELECT provider_message_id, from_phone, body, action FROM scheduling.inbound_messages ORDER BY id$$,
    $$VALUES ('wamid.IN0', NULL::text, NULL::text, 'unknown_sender'), ('wamid.IN2', NULL, NULL, 'stored')$$,
    'her messages keep their rows and outcome, without phone or body (also the one from before she was known)'
);
SELECT results_eq(
    $$SELECT provider_message_id, from_phone, body, action, booking_id FROM scheduling.inbound_messages_archive$$,
    $$VALUES ('wamid.IN1', NULL::text, NULL::text, 'cancelled_booking', tap.sid('petra_old'))$$,
    'the archived CANCEL keeps its row and booking, without phone or body'
);
SELECT results_eq(
    $$SELECT h.actor FROM scheduling.booking_status_history_archive AS h
      WHERE h.booking_id = tap.sid('petra_old') AND h.to_status = 'cancelled'$$,
    $$VALUES ('whatsapp:erased person')$$,
    'the archived history says the cancel came by WhatsApp, not from which phone'
);
SELECT results_eq(
    $$SELECT r.delivery_error_message, e.error_message FROM scheduling.reminders AS r
      INNER JOIN scheduling.provider_events AS e ON r.id = e.reminder_id
      WHERE r.booking_id = tap.sid('petra_past')$$,
    $$VALUES ('Message undeliverable to erased person', 'Message undeliverable to erased person')$$,
    'the delivery error naming her phone no longer does'
);
SELECT is(pg_temp.rows_of('petra'), (SELECT rows_of FROM t_before), 'her rows and counts are all kept');

-- Twice: nothing changes.
CREATE TEMP TABLE t_erased AS SELECT tap.written() AS digest;
SELECT is(
    scheduling.erase_person(tap.sid('petra'), 'again', 'dpo', '2031-05-12 00:00Z'),
    jsonb_build_object(
        'person_id', tap.sid('petra'), 'erased_at', '2031-05-11 10:30Z'::timestamptz, 'already_erased', TRUE,
        'bookings_cancelled', 0, 'waitlist_entries_cancelled', 0, 'messages_closed', 0, 'outbox_rows_erased', 0,
        'history_rows_erased', 0, 'bookings_erased', 0, 'inbound_messages_erased', 0, 'delivery_reports_erased', 0
    ),
    'erasing an erased person returns zero counts'
);
SELECT is((SELECT digest FROM t_erased), tap.written(), 'and changes nothing, history included');

-- A host of past sessions only may be erased: the messages of her sessions no longer name her.
SELECT is(
    (scheduling.erase_person(tap.sid('olga'), 'retired', 'dpo', '2031-05-11 11:00Z') ->> 'outbox_rows_erased')::integer,
    1,
    'a host without sessions ahead is erased; one message of hers to rewrite (Bob''s)'
);
SELECT is(pg_temp.holding('Olga Old'), '{}', 'no table holds the host''s name any more');
SELECT results_eq(
    $$SELECT parameters ->> 'host_name', parameters ->> 'customer_name' FROM scheduling.reminders
      WHERE booking_id = tap.sid('bob_olga')$$,
    $$VALUES ('erased person', 'Bob')$$,
    'Bob''s message keeps his name and names the host as erased'
);

SELECT * FROM finish();
ROLLBACK;
