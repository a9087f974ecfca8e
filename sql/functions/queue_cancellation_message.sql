CREATE OR REPLACE FUNCTION scheduling_internal.queue_cancellation_message(
    p_booking_id uuid,
    p_reason text DEFAULT NULL,
    p_now timestamptz DEFAULT now()
)
RETURNS integer
LANGUAGE plpgsql
AS $function$
DECLARE
    -- After a day a cancellation message is no longer worth sending.
    c_deadline CONSTANT interval := interval '24 hours';
    v_booking scheduling.bookings;
    v_session scheduling.sessions;
    v_policy scheduling.reminder_policies;
    v_person scheduling.people;
    v_host_name text;
    v_inserted integer;
    v_template text;
    v_language text;
    v_language_source text;
BEGIN
    SELECT b.* INTO v_booking FROM scheduling.bookings AS b WHERE b.id = p_booking_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK010',
            MESSAGE = format('booking %s not found', coalesce(p_booking_id::text, 'NULL'));
    END IF;

    SELECT s.* INTO v_session FROM scheduling.sessions AS s WHERE s.id = v_booking.session_id;
    v_policy := scheduling_internal.reminder_policy_of_session(v_session.id);
    SELECT p.* INTO v_person FROM scheduling.people AS p WHERE p.id = v_booking.person_id;
    SELECT h.full_name INTO v_host_name FROM scheduling.people AS h WHERE h.id = v_session.host_id;

    -- A policy naming its own cancellation text keeps it; the shipped one means: the text that fits.
    v_template := CASE
        WHEN v_policy.cancellation_template <> 'appointment_cancelled' THEN v_policy.cancellation_template
        WHEN v_session.workshop_run_id IS NOT NULL THEN 'workshop_seat_cancelled'
        WHEN v_session.metadata ->> 'kind' = 'appointment' THEN 'appointment_cancelled'
        ELSE 'class_cancelled'
    END;
    SELECT m.language, m.language_source
    INTO v_language, v_language_source
    FROM scheduling_internal.message_language(v_template, v_person.language, v_policy.language) AS m;

    INSERT INTO scheduling.reminders (
        reminder_key, booking_id, session_id, slot_version, slot_starts_at, kind, seq, person_id,
        template_name, language, language_source, parameters, due_at, deadline_at, state, next_attempt_at,
        state_reason, created_at, updated_at
    )
    VALUES (
        format('%s-cancellation-%s', v_booking.id, v_session.slot_version),
        v_booking.id,
        v_session.id,
        v_session.slot_version,
        v_session.starts_at,
        'cancellation',
        v_session.slot_version,
        v_booking.person_id,
        v_template,
        v_language,
        v_language_source,
        scheduling_internal.reminder_parameters(
            v_person.full_name, v_session.title, v_host_name, v_session.starts_at, v_person.time_zone, p_now
        ),
        p_now,
        p_now + c_deadline,
        'pending',
        p_now,
        p_reason,
        p_now,
        p_now
    )
    ON CONFLICT DO NOTHING;

    GET DIAGNOSTICS v_inserted = ROW_COUNT;
    RETURN v_inserted;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.queue_cancellation_message(uuid, text, timestamptz) IS
'Internal: queues the cancellation message of a booking for its session''s current slot (key '
'{booking_id}-cancellation-{slot_version}), due at p_now, '
'deadline p_now + 24 h. At most one per booking and slot (ON CONFLICT DO NOTHING): cancelling the booking '
'after its session adds nothing. The text fits what was cancelled: appointment_cancelled for a 1:1 appointment '
'(create_appointment: metadata kind appointment), workshop_seat_cancelled for a session of a workshop run, '
'class_cancelled for any other session; but a policy whose cancellation_template is not the shipped '
'appointment_cancelled names a text of its own, used for every cancellation under it. Language: message_language '
'(the person''s, else the policy''s, else ''en''). Returns rows written (0 or 1). SK010 unknown booking, SK058 '
'template in none of the languages.'
' Side effects: inserts a cancellation row in scheduling.reminders, each logged in reminder_state_history by '
'trigger reminders_history, which also sends NOTIFY scheduling_reminders_due for a row due within a minute.';
