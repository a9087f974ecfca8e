-- Message languages and texts: the person's language when the template exists in it, else the policy's, else
-- 'en' (recorded as language_source and shown by reminder_status); upsert_message_template and its refusals; the
-- waitlist message as kind waitlist; cancellation texts that fit an appointment, a workshop seat and a class,
-- and a policy's own cancellation text winning over them.
BEGIN;
SELECT plan(27);

SELECT set_config('sessionkeeper.simulated_time', 'on', TRUE);

CREATE FUNCTION pg_temp.texts(p_booking uuid) RETURNS TABLE (kind text, template_name text, lang text, source text)
LANGUAGE sql STABLE AS $$
    SELECT DISTINCT r.kind, r.template_name, r.language, r.language_source
    FROM scheduling.reminder_status AS r WHERE r.booking_id = p_booking
    ORDER BY 1, 2
$$;

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hana Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)),
('bob', scheduling.create_person('Bob', '+4915112345680', 'Europe/Berlin', TRUE)),
('cid', scheduling.create_person('Cid', '+4915112345681', 'Europe/Berlin', TRUE)),
('dan', scheduling.create_person('Dan', '+4915112345682', 'Europe/Berlin', TRUE));
UPDATE scheduling.people SET language = 'de'
WHERE id = tap.sid('ann');
UPDATE scheduling.people SET language = 'fr'
WHERE id = tap.sid('bob');

-- upsert_message_template: adds, then updates
SELECT is(
    scheduling.upsert_message_template(
        'session_reminder', 'de', 'Hallo {customer_name}! Dein Termin "{service}" beginnt am {date_time}.',
        '{customer_name,service,date_time}', 'session_reminder', NULL, '2031-04-01 00:00Z'
    ),
    'added', 'upsert_message_template adds a text in a new language'
);
SELECT is(
    scheduling.upsert_message_template(
        'session_reminder', 'de', 'Hallo {customer_name}! "{service}" beginnt in {time_until}, am {date_time}.',
        '{customer_name,service,time_until,date_time}', 'session_reminder_v2', 'HX' || repeat('b', 32),
        '2031-04-01 00:00Z'
    ),
    'updated', 'upsert_message_template updates an existing text'
);
SELECT results_eq(
    $$SELECT body, parameter_names, whatsapp_template_name, twilio_content_sid FROM scheduling.message_templates
    WHERE name = 'session_reminder' AND language = 'de'$$,
    $$VALUES ('Hallo {customer_name}! "{service}" beginnt in {time_until}, am {date_time}.'::text,
        '{customer_name,service,time_until,date_time}'::text [], 'session_reminder_v2'::text,
        'HX' || repeat('b', 32))$$,
    'the update replaced body, parameter names, WhatsApp template name and content SID'
);
SELECT scheduling.upsert_message_template(
    'session_reminder', 'es', 'Hola {customer_name}, "{service}" el {date_time}.', '{customer_name,service,date_time}',
    'session_reminder', NULL, '2031-04-01 00:00Z'
);
SELECT scheduling.upsert_message_template(
    'appointment_cancelled', 'es', 'Hola {customer_name}, su cita del {date_time} ha sido cancelada.',
    '{customer_name,date_time}', 'appointment_cancelled', NULL, '2031-04-01 00:00Z'
);
SELECT scheduling.upsert_message_template(
    'custom_cancelled', 'en', 'Sorry {customer_name}, {service} is off.', '{customer_name,service}',
    'custom_cancelled', NULL, '2031-04-01 00:00Z'
);
INSERT INTO tap.ids VALUES
('spanish', scheduling.create_reminder_policy(
    'spanish', '{1 hour}', NULL, NULL, NULL, 'session_reminder', 'appointment_cancelled', 'es'
)),
('custom', scheduling.create_reminder_policy(
    'custom', '{1 hour}', NULL, NULL, NULL, 'session_reminder', 'custom_cancelled', 'en'
));

-- upsert_message_template refusals: nothing written
CREATE TEMP TABLE t_before AS SELECT tap.written() AS c;
SELECT throws_ok(
    $$SELECT scheduling.upsert_message_template('t1', 'en', 'Hi {customer_name}, {service} on {date_time}',
        '{customer_name,host_name,date_time}', 't1', NULL, '2031-04-01 00:00Z')$$,
    'SK056',
    'message template ''t1'': placeholders and parameter_names differ (not listed: service; not in the body: '
    || 'host_name; listed twice: -)',
    'a placeholder not listed and a name not in the body: SK056 names both'
);
SELECT throws_ok(
    $$SELECT scheduling.upsert_message_template('t1', 'en', 'Hi {customer_name}',
        '{customer_name,customer_name}', 't1', NULL, '2031-04-01 00:00Z')$$,
    'SK056',
    'message template ''t1'': placeholders and parameter_names differ (not listed: -; not in the body: -; '
    || 'listed twice: customer_name)',
    'a parameter name listed twice: SK056'
);
SELECT throws_ok(
    $$SELECT scheduling.upsert_message_template('session_reminder', 'de', 'Hallo {customer_name}', '{}',
        'session_reminder', NULL, '2031-04-01 00:00Z')$$,
    'SK056', NULL, 'an update whose placeholders differ: SK056, the old text kept'
);
SELECT throws_ok(
    $$SELECT scheduling.upsert_message_template('t1', 'xx', 'Hi {customer_name}', '{customer_name}', 't1', NULL,
        '2031-04-01 00:00Z')$$,
    'SK050', 'message template ''t1'': unknown language ''xx''', 'a language not in scheduling.languages: SK050'
);
SELECT throws_ok(
    $$INSERT INTO scheduling.message_templates (name, language, body, parameter_names, whatsapp_template_name)
    VALUES ('t1', 'xx', 'Hi {customer_name}', '{customer_name}', 't1')$$,
    'SK050', NULL, 'a direct INSERT with an unknown language: SK050 as well'
);
SELECT throws_ok(
    $$SELECT scheduling.upsert_message_template(repeat('n', 201), 'en', 'Hi', '{}', 't1', NULL,
        '2031-04-01 00:00Z')$$,
    'SK034', NULL, 'a name over 200 characters: SK034'
);
SELECT throws_ok(
    $$SELECT scheduling.upsert_message_template('t1', 'en', ' ', '{}', 't1', NULL, '2031-04-01 00:00Z')$$,
    'SK009', NULL, 'a blank body: SK009'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'refused texts wrote nothing');

-- Language choice: the person's, the policy's, the default
SELECT tap.book('ann_appt', tap.sid('ann'), '2031-05-01 10:00Z', NULL, '2031-04-02 00:00Z');
SELECT tap.book('bob_appt', tap.sid('bob'), '2031-05-01 11:00Z', NULL, '2031-04-02 00:00Z');
SELECT tap.book('cid_appt', tap.sid('cid'), '2031-05-01 12:00Z', 'spanish', '2031-04-02 00:00Z');
SELECT tap.book('ann_es', tap.sid('ann'), '2031-05-01 13:00Z', 'spanish', '2031-04-02 00:00Z');
SELECT results_eq(
    $$SELECT * FROM pg_temp.texts(tap.sid('ann_appt'))$$,
    $$VALUES ('reminder'::text, 'session_reminder'::text, 'de'::text, 'person'::text)$$,
    'the template exists in the person''s language: theirs (person), shown by reminder_status'
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.texts(tap.sid('bob_appt'))$$,
    $$VALUES ('reminder'::text, 'session_reminder'::text, 'en'::text, 'policy'::text)$$,
    'not in the person''s language (fr): the policy''s (policy)'
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.texts(tap.sid('cid_appt'))$$,
    $$VALUES ('reminder'::text, 'session_reminder'::text, 'es'::text, 'policy'::text)$$,
    'no language of their own: the policy''s (es)'
);
SELECT results_eq(
    $$SELECT * FROM pg_temp.texts(tap.sid('ann_es'))$$,
    $$VALUES ('reminder'::text, 'session_reminder'::text, 'de'::text, 'person'::text)$$,
    'the person''s language wins over a policy''s other language'
);
SELECT is(
    (
        SELECT language_source FROM scheduling.reminders
        WHERE id = tap.rid('ann_appt')
    ),
    'person', 'the choice is recorded on the outbox row (reminders.language_source)'
);

-- Cancellation texts that fit what was cancelled
SELECT scheduling.cancel_booking(tap.sid('ann_appt'), 'sick', 'x', '2031-04-03 00:00Z');
SELECT scheduling.cancel_booking(tap.sid('cid_appt'), 'sick', 'x', '2031-04-03 00:00Z');
SELECT results_eq(
    $$SELECT template_name, lang, source FROM pg_temp.texts(tap.sid('ann_appt')) WHERE kind = 'cancellation'$$,
    $$VALUES ('appointment_cancelled'::text, 'en'::text, 'policy'::text)$$,
    'a cancelled appointment: appointment_cancelled (not in de: the policy''s en)'
);
SELECT results_eq(
    $$SELECT template_name, lang, source FROM pg_temp.texts(tap.sid('cid_appt')) WHERE kind = 'cancellation'$$,
    $$VALUES ('appointment_cancelled'::text, 'es'::text, 'policy'::text)$$,
    'under the spanish policy: appointment_cancelled in es'
);

SELECT tap.new_session('yoga', 5);
SELECT tap.new_session('spinning', 5);
UPDATE scheduling.sessions SET reminder_policy_id = tap.sid('spanish')
WHERE id = tap.sid('spinning');
SELECT tap.new_session('pilates', 5);
UPDATE scheduling.sessions SET reminder_policy_id = tap.sid('custom')
WHERE id = tap.sid('pilates');
INSERT INTO tap.ids VALUES
('yoga_dan', scheduling.create_booking(tap.sid('yoga'), tap.sid('dan'), NULL, 'x', '2031-04-02 00:00Z')),
('spin_dan', scheduling.create_booking(tap.sid('spinning'), tap.sid('dan'), NULL, 'x', '2031-04-02 00:00Z')),
('pilates_dan', scheduling.create_booking(tap.sid('pilates'), tap.sid('dan'), NULL, 'x', '2031-04-02 00:00Z'));
SELECT scheduling.cancel_session(tap.sid('yoga'), 'teacher ill', 'x', '2031-04-03 00:00Z');
SELECT scheduling.cancel_booking(tap.sid('spin_dan'), NULL, 'x', '2031-04-03 00:00Z');
SELECT scheduling.cancel_session(tap.sid('pilates'), NULL, 'x', '2031-04-03 00:00Z');
SELECT results_eq(
    $$SELECT template_name, lang, source FROM pg_temp.texts(tap.sid('yoga_dan')) WHERE kind = 'cancellation'$$,
    $$VALUES ('class_cancelled'::text, 'en'::text, 'policy'::text)$$,
    'a cancelled class: class_cancelled'
);
SELECT results_eq(
    $$SELECT template_name, lang, source FROM pg_temp.texts(tap.sid('spin_dan')) WHERE kind = 'cancellation'$$,
    $$VALUES ('class_cancelled'::text, 'en'::text, 'default'::text)$$,
    'class_cancelled exists neither in the person''s nor in the policy''s language (es): the default en'
);
SELECT results_eq(
    $$SELECT template_name FROM pg_temp.texts(tap.sid('pilates_dan')) WHERE kind = 'cancellation'$$,
    $$VALUES ('custom_cancelled'::text)$$,
    'a policy naming its own cancellation text keeps it'
);
SELECT is(
    scheduling_internal.render_template(
        (
            SELECT body FROM scheduling.message_templates
            WHERE name = 'class_cancelled' AND language = 'en'
        ),
        (
            SELECT parameters FROM scheduling.reminders
            WHERE booking_id = tap.sid('yoga_dan') AND kind = 'cancellation'
        )
    ),
    E'Hello Dan,\n\nYour place in the class "yoga" with Hana Host on Thursday 1 May 2031, 12:00 (Europe/Berlin) '
    || E'has been cancelled.\n\nIf this was a mistake, please contact us to book another class.\n\nThank you!',
    'the class text names the class, its host and its local time'
);

-- A workshop seat, and the waitlist message of kind waitlist
INSERT INTO tap.ids VALUES ('pottery', scheduling.create_workshop(
    tap.free_host('2031-05-01 10:00 Europe/Berlin', '2031-05-01 16:00 Europe/Berlin'), 'Pottery', 1, 'Europe/Berlin'
));
INSERT INTO tap.ids VALUES ('may', scheduling.create_workshop_run(tap.sid('pottery'), 'May 2031 Batch', '2031-05-01'));
INSERT INTO tap.ids VALUES ('d1', scheduling.add_workshop_session(
    tap.sid('may'), 1, '2031-05-01 10:00 Europe/Berlin', '2031-05-01 16:00 Europe/Berlin',
    p_now => '2031-04-01 00:00Z'
));
INSERT INTO tap.ids
SELECT
    'seat_cid' AS tag,
    e.booking_id
FROM scheduling.enroll(tap.sid('d1'), tap.sid('cid'), p_actor => 'x', p_now => '2031-04-02 00:00Z') AS e;
SELECT scheduling.enroll(tap.sid('d1'), tap.sid('bob'), p_actor => 'x', p_now => '2031-04-02 00:00Z');
SELECT scheduling.cancel_booking(tap.sid('seat_cid'), NULL, 'x', '2031-04-03 00:00Z');
INSERT INTO tap.ids
SELECT
    'seat_bob' AS tag,
    b.id
FROM scheduling.bookings AS b
WHERE b.session_id = tap.sid('d1') AND b.person_id = tap.sid('bob');
SELECT results_eq(
    $$SELECT template_name, lang, source FROM pg_temp.texts(tap.sid('seat_cid')) WHERE kind = 'cancellation'$$,
    $$VALUES ('workshop_seat_cancelled'::text, 'en'::text, 'policy'::text)$$,
    'a cancelled workshop seat: workshop_seat_cancelled, not "your appointment"'
);
SELECT results_eq(
    $$SELECT replace(reminder_key, booking_id::text, 'B'), kind, state::text, template_name, language,
        language_source
    FROM scheduling.reminder_status WHERE booking_id = tap.sid('seat_bob') AND kind = 'waitlist'$$,
    $$VALUES ('B-waitlist-promoted'::text, 'waitlist'::text, 'pending'::text, 'waitlist_promoted'::text,
        'en'::text, 'policy'::text)$$,
    'the promoted person''s message is of kind waitlist (fr has no text: the policy''s en)'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.claim_due_reminders('w1', 50, '60 seconds', '2031-04-03 00:00Z')
        WHERE kind = 'waitlist'
    ),
    1, 'the claim hands out the waitlist message with kind waitlist'
);
SELECT
    scheduling.release_reminder(
        r.id, r.attempt_token, NULL, NULL, '2031-04-03 00:00Z'
    )
FROM scheduling.reminders AS r
WHERE r.booking_id = tap.sid('seat_bob') AND r.kind = 'waitlist';
SELECT scheduling.cancel_booking(tap.sid('seat_bob'), NULL, 'x', '2031-04-03 00:01Z');
SELECT results_eq(
    $$SELECT state::text FROM scheduling.reminders WHERE booking_id = tap.sid('seat_bob') AND kind = 'waitlist'$$,
    $$VALUES ('cancelled'::text)$$,
    'cancelling the promoted booking cancels its waitlist message'
);
SELECT is(
    (
        SELECT scheduling_internal.reminder_block_reason(r.*, b.*, s.*, p.*, '2031-04-03 00:02Z')
        FROM scheduling.reminders AS r
        INNER JOIN scheduling.bookings AS b ON r.booking_id = b.id
        INNER JOIN scheduling.sessions AS s ON r.session_id = s.id
        INNER JOIN scheduling.people AS p ON r.person_id = p.id
        WHERE r.booking_id = tap.sid('seat_bob') AND r.kind = 'waitlist'
    ),
    'booking is cancelled',
    'the claim-time re-check refuses a waitlist message whose booking is no longer confirmed'
);

SELECT * FROM finish();
ROLLBACK;
