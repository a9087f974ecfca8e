-- Bookings: create, cancel, reschedule, appointments, and every refusal with its SQLSTATE, nothing written.
BEGIN;
SELECT plan(43);

INSERT INTO tap.ids VALUES
('host', scheduling.create_person('Hugo Host', '+4915112345678', 'Europe/Berlin')),
('ann', scheduling.create_person('Ann', '+4915112345679', 'Europe/Berlin', TRUE)),
('bob', scheduling.create_person('Bob', '+4915112345680', 'Europe/Berlin', TRUE)),
('cid', scheduling.create_person('Cid', '+4915112345681', 'Europe/Berlin', TRUE));
SELECT tap.new_session(v.tag, v.capacity)
FROM (
    VALUES ('group', 2), ('single', 1), ('open', 0), ('cancelled', 5), ('deleted', 5), ('completed', 5)
) AS v (tag, capacity);
SELECT scheduling.cancel_session(tap.sid('cancelled'), 'test', 'x', '2031-04-02 00:00Z');
SELECT scheduling.delete_session(tap.sid('deleted'), 'test', 'x', '2031-04-02 00:00Z');
SELECT scheduling.start_session(tap.sid('completed'), 'x', '2031-05-01 10:00Z');
SELECT scheduling.complete_session(tap.sid('completed'), 'x', '2031-05-01 10:30Z');

-- create_booking
INSERT INTO tap.ids VALUES (
    'b_ann', scheduling.create_booking(tap.sid('group'), tap.sid('ann'), 'ORD-1', 'alice', '2031-04-10 08:00Z')
);
SELECT results_eq(
    $$SELECT session_id, person_id, status::text, order_reference, created_at, booked_slot_version
    FROM scheduling.bookings WHERE id = tap.sid('b_ann')$$,
    $$VALUES (tap.sid('group'), tap.sid('ann'), 'confirmed', 'ORD-1'::text,
        '2031-04-10 08:00Z'::timestamptz, 1)$$,
    'create_booking: confirmed, order reference kept, created_at = p_now, booked_slot_version recorded'
);
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, actor, happened_at
    FROM scheduling.booking_status_history WHERE booking_id = tap.sid('b_ann')$$,
    $$VALUES (NULL::text, 'confirmed'::text, 'alice'::text, '2031-04-10 08:00Z'::timestamptz)$$,
    'create_booking writes a history row NULL -> confirmed with actor and p_now'
);
SELECT is(
    (
        SELECT count(*)::integer FROM scheduling.reminders
        WHERE booking_id = tap.sid('b_ann')
    ), 1,
    'create_booking plans the default policy''s reminder in the same transaction'
);

CREATE TEMP TABLE t_before AS SELECT tap.written() AS c;
SELECT throws_ok(
    $$SELECT scheduling.create_booking(tap.sid('group'), tap.sid('ann'), NULL, 'x', '2031-04-10 09:00Z')$$,
    'SK011', NULL, 'a second booking of the same person in the same session: SK011'
);
SELECT lives_ok(
    $$SELECT scheduling.create_booking(tap.sid('group'), tap.sid('bob'), NULL, 'x', '2031-04-10 09:00Z')$$,
    'setup: the second seat of the group session is booked'
);
UPDATE t_before SET c = tap.written();
SELECT throws_ok(
    $$SELECT scheduling.create_booking(tap.sid('group'), tap.sid('cid'), NULL, 'x', '2031-04-10 09:00Z')$$,
    'SK012', NULL, 'booking a full session: SK012'
);
SELECT throws_ok(
    $$SELECT scheduling.create_booking(gen_random_uuid(), tap.sid('cid'), NULL, 'x', '2031-04-10 09:00Z')$$,
    'SK001', NULL, 'booking an unknown session: SK001'
);
SELECT throws_ok(
    $$SELECT scheduling.create_booking(tap.sid('deleted'), tap.sid('cid'), NULL, 'x', '2031-04-10 09:00Z')$$,
    'SK002', NULL, 'booking a deleted session: SK002'
);
SELECT throws_ok(
    $$SELECT scheduling.create_booking(tap.sid('cancelled'), tap.sid('cid'), NULL, 'x', '2031-04-10 09:00Z')$$,
    'SK003', NULL, 'booking a cancelled session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.create_booking(tap.sid('completed'), tap.sid('cid'), NULL, 'x', '2031-05-02 09:00Z')$$,
    'SK003', NULL, 'booking a completed session: SK003'
);
SELECT throws_ok(
    $$SELECT scheduling.create_booking(tap.sid('single'), gen_random_uuid(), NULL, 'x', '2031-04-10 09:00Z')$$,
    'SK007', NULL, 'booking an unknown person: SK007'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'refused bookings wrote nothing');

-- capacity 0 = unlimited
SELECT lives_ok(
    $$SELECT scheduling.create_booking(tap.sid('open'), tap.sid(p.tag), NULL, 'x', '2031-04-10 09:00Z')
    FROM (VALUES ('ann'), ('bob'), ('cid')) AS p (tag)$$,
    'a session of capacity 0 takes any number of bookings'
);

-- cancel_booking
SELECT results_eq(
    $$SELECT status::text, cancelled_at, cancel_reason
    FROM scheduling.cancel_booking(tap.sid('b_ann'), 'changed my mind', 'ann', '2031-04-11 08:00Z')$$,
    $$VALUES ('cancelled'::text, '2031-04-11 08:00Z'::timestamptz, 'changed my mind'::text)$$,
    'cancel_booking: confirmed -> cancelled with reason and cancelled_at = p_now'
);
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, detail, actor
    FROM scheduling.booking_status_history WHERE booking_id = tap.sid('b_ann') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('confirmed'::text, 'cancelled'::text, 'cancelled: changed my mind'::text, 'ann'::text)$$,
    'cancel_booking writes a history row with the reason'
);
UPDATE t_before SET c = tap.written();
SELECT throws_ok(
    $$SELECT scheduling.cancel_booking(tap.sid('b_ann'), 'again', 'ann', '2031-04-11 09:00Z')$$,
    'SK013', NULL, 'cancelling a cancelled booking: SK013'
);
SELECT throws_ok(
    $$SELECT scheduling.cancel_booking(gen_random_uuid(), 'x', 'ann', '2031-04-11 09:00Z')$$,
    'SK010', NULL, 'cancelling an unknown booking: SK010'
);
SELECT throws_ok(
    $$UPDATE scheduling.bookings SET status = 'confirmed', cancelled_at = NULL WHERE id = tap.sid('b_ann')$$,
    'SK013', NULL, 'a direct write cannot reopen a cancelled booking: SK013'
);
SELECT throws_ok(
    $$UPDATE scheduling.bookings SET person_id = tap.sid('cid') WHERE id = tap.sid('b_ann')$$,
    'SK009', NULL, 'a booking cannot move to another person: SK009'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'refused cancellations wrote nothing');
SELECT lives_ok(
    $$SELECT scheduling.create_booking(tap.sid('group'), tap.sid('ann'), NULL, 'x', '2031-04-12 09:00Z')$$,
    'after cancelling, the seat is free and the same person may book again'
);

-- reschedule_booking
INSERT INTO tap.ids VALUES (
    'b_single', scheduling.create_booking(tap.sid('single'), tap.sid('cid'), NULL, 'x', '2031-04-10 09:00Z')
);
UPDATE t_before SET c = tap.written();
SELECT throws_ok(
    $$SELECT scheduling.reschedule_booking(
        (SELECT b.id FROM scheduling.bookings AS b WHERE b.session_id = tap.sid('group') LIMIT 1),
        '2031-06-01 10:00Z', '2031-06-01 11:00Z', 'x', '2031-04-12 10:00Z')$$,
    'SK014', NULL, 'rescheduling a seat of a group session: SK014 (reschedule the session instead)'
);
SELECT throws_ok(
    $$SELECT scheduling.reschedule_booking(tap.sid('b_ann'), '2031-06-01 10:00Z', '2031-06-01 11:00Z',
        'x', '2031-04-12 10:00Z')$$,
    'SK013', NULL, 'rescheduling a cancelled booking: SK013'
);
SELECT throws_ok(
    $$SELECT scheduling.reschedule_booking(gen_random_uuid(), '2031-06-01 10:00Z', '2031-06-01 11:00Z',
        'x', '2031-04-12 10:00Z')$$,
    'SK010', NULL, 'rescheduling an unknown booking: SK010'
);
SELECT throws_ok(
    $$SELECT scheduling.reschedule_booking(tap.sid('b_single'), '2031-06-01 10:00Z', '2031-06-01 09:00Z',
        'x', '2031-04-12 10:00Z')$$,
    'SK004', NULL, 'rescheduling a booking to an end before its start: SK004 (from reschedule_session)'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'refused reschedules wrote nothing');
SELECT lives_ok(
    $$SELECT scheduling.reschedule_booking(tap.sid('b_single'), '2031-06-01 10:00Z', '2031-06-01 11:00Z',
        'cid', '2031-04-12 10:00Z')$$,
    'reschedule_booking of a 1:1 booking'
);
SELECT results_eq(
    $$SELECT starts_at, slot_version FROM scheduling.sessions WHERE id = tap.sid('single')$$,
    $$VALUES ('2031-06-01 10:00Z'::timestamptz, 2)$$,
    'reschedule_booking moved its session (slot_version + 1)'
);
SELECT results_eq(
    $$SELECT from_status::text, to_status::text, actor
    FROM scheduling.booking_status_history WHERE booking_id = tap.sid('b_single') ORDER BY id DESC LIMIT 1$$,
    $$VALUES ('confirmed'::text, 'confirmed'::text, 'cid'::text)$$,
    'reschedule_booking writes a booking history row'
);

-- create_appointment
INSERT INTO tap.ids VALUES (
    'appt', scheduling.create_appointment(
        tap.sid('host'), tap.sid('ann'), 'Haircut', '2031-07-01 10:00Z', '2031-07-01 10:30Z',
        'every_2_hours', 'ann', '2031-07-01 00:00Z'
    )
);
SELECT results_eq(
    $$SELECT s.title, s.capacity, s.host_id, s.time_zone, rp.name, b.person_id, b.status::text
    FROM scheduling.bookings AS b
    INNER JOIN scheduling.sessions AS s ON b.session_id = s.id
    INNER JOIN scheduling.reminder_policies AS rp ON s.reminder_policy_id = rp.id
    WHERE b.id = tap.sid('appt')$$,
    $$VALUES ('Haircut'::text, 1, tap.sid('host'), 'Europe/Berlin'::text, 'every_2_hours'::text,
        tap.sid('ann'), 'confirmed'::text)$$,
    'create_appointment: a capacity-1 session with host, service and policy, and its confirmed booking'
);
UPDATE t_before SET c = tap.written();
SELECT throws_ok(
    $$SELECT scheduling.create_appointment(tap.sid('host'), tap.sid('ann'), 'Haircut',
        '2031-07-02 10:00Z', '2031-07-02 10:30Z', 'no such policy', 'ann', '2031-07-01 00:00Z')$$,
    'SK016', NULL, 'create_appointment with an unknown policy: SK016'
);
SELECT throws_ok(
    $$SELECT scheduling.create_appointment(tap.sid('host'), gen_random_uuid(), 'Haircut',
        '2031-07-02 10:00Z', '2031-07-02 10:30Z', NULL, 'ann', '2031-07-01 00:00Z')$$,
    'SK007', NULL, 'create_appointment for an unknown person: SK007'
);
SELECT throws_ok(
    $$SELECT scheduling.create_appointment(tap.sid('host'), tap.sid('ann'), 'Haircut',
        '2031-07-02 10:00Z', '2031-07-02 09:30Z', NULL, 'ann', '2031-07-01 00:00Z')$$,
    'SK004', NULL, 'create_appointment ending before it starts: SK004'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'refused appointments wrote nothing (no session either)');

-- Bad input of people, policies and templates
SELECT throws_ok(
    $$SELECT scheduling.create_person('Dee', '0151 1234', 'Europe/Berlin', TRUE)$$,
    'SK006', NULL, 'a phone that is not E.164: SK006'
);
SELECT throws_ok(
    $$SELECT scheduling.create_reminder_policy('p1', '{1 hour}', NULL, NULL, NULL, 'no_such_template')$$,
    'SK015', NULL, 'a policy naming an unknown reminder template: SK015'
);
SELECT throws_ok(
    $$SELECT scheduling.create_reminder_policy('p1', '{1 hour}', NULL, NULL, NULL, 'session_reminder',
        'appointment_cancelled', 'de')$$,
    'SK015', NULL, 'a policy whose template does not exist in its language: SK015'
);
SELECT throws_ok(
    $$SELECT scheduling.create_reminder_policy('p1', '{0 minutes}')$$,
    'SK017', NULL, 'a zero offset: SK017'
);
SELECT throws_ok(
    $$SELECT scheduling.create_reminder_policy('p1', '{1 hour,-30 minutes}')$$,
    'SK017', NULL, 'a negative offset: SK017'
);
SELECT throws_ok(
    $$SELECT scheduling.create_reminder_policy('p1', '{}', '0 hours')$$,
    'SK017', NULL, 'a zero repeat interval: SK017'
);
SELECT throws_ok(
    $$SELECT scheduling.create_reminder_policy('p1', '{}', '-2 hours')$$,
    'SK017', NULL, 'a negative repeat interval: SK017'
);
SELECT throws_ok(
    $$INSERT INTO scheduling.message_templates (name, language, body, parameter_names, whatsapp_template_name)
    VALUES ('t1', 'en', 'Hi {customer_name}, {service}', '{customer_name}', 't1')$$,
    'SK056', NULL, 'a template whose placeholders and parameter_names differ: SK056'
);
SELECT is(tap.written(), (SELECT c FROM t_before), 'refused people and policies wrote nothing');

SELECT * FROM finish();
ROLLBACK;
