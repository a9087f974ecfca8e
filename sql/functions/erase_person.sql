-- SECURITY DEFINER: apps hold no table privileges; this function is how they erase a person, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.erase_person(
    p_person_id uuid,
    p_reason text,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    -- The reason of the bookings cancelled and of the messages closed: neither names the person.
    c_cancel_reason CONSTANT text := 'person erased';
    c_message_reason CONSTANT text := 'recipient erased';
    v_person scheduling.people;
    v_sessions integer;
    v_first_start timestamptz;
    v_templates integer;
    v_booking_id uuid;
    v_cancelled integer := 0;
    v_waitlist integer := 0;
    v_closed integer := 0;
    v_traces jsonb := '{}'::jsonb;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('erase_person', p_actor, p_now);
    IF p_reason IS NULL OR btrim(p_reason) = '' THEN
        RAISE EXCEPTION USING ERRCODE = 'SK009', MESSAGE = 'erase_person: p_reason must not be blank';
    END IF;
    PERFORM scheduling_internal.check_text_length('erase_person: p_reason', p_reason, 'free_text');

    SELECT p.* INTO v_person FROM scheduling.people AS p WHERE p.id = p_person_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK007',
            MESSAGE = format('cannot erase person %s: person not found', coalesce(p_person_id::text, 'NULL'));
    END IF;

    IF v_person.erased_at IS NULL THEN
        -- A host's live sessions and recurring templates would go on under an erased host: they are the app's
        -- to cancel or end first, with their own reason and the messages that go with it.
        SELECT count(*)::integer, min(s.starts_at)
        INTO v_sessions, v_first_start
        FROM scheduling.sessions AS s
        WHERE s.host_id = p_person_id AND s.deleted_at IS NULL AND s.status IN ('scheduled', 'in_progress');
        SELECT count(*)::integer
        INTO v_templates
        FROM scheduling.session_templates AS t
        WHERE t.host_id = p_person_id AND t.status <> 'ended';
        IF v_sessions > 0 OR v_templates > 0 THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK055',
                MESSAGE = format(
                    'cannot erase person %s: they host %s scheduled or running session(s)%s and %s recurring '
                    || 'template(s) not ended',
                    p_person_id, v_sessions,
                    coalesce(
                        ' (the first at ' || scheduling_internal.format_local_time(v_first_start, v_person.time_zone)
                        || ')',
                        ''
                    ),
                    v_templates
                ),
                HINT = 'Cancel or delete those sessions (cancel_session, delete_session) and end the templates '
                || '(end_template), then erase the person.';
        END IF;

        UPDATE scheduling.people AS p
        SET
            full_name = scheduling_internal.erase_text(p.full_name, p.full_name, NULL),
            phone = NULL,
            language = NULL,
            whatsapp_consent = FALSE,
            deleted_at = coalesce(p.deleted_at, p_now),
            erased_at = p_now,
            erased_by = coalesce(p_actor, session_user),
            erased_reason = scheduling_internal.erase_text(p_reason, p.full_name, p.phone)
        WHERE p.id = p_person_id;

        UPDATE scheduling.waitlist_entries AS w
        SET status = 'cancelled'
        WHERE w.person_id = p_person_id AND w.status = 'waiting';
        GET DIAGNOSTICS v_waitlist = ROW_COUNT;

        -- Their seats ahead are given up as any cancellation is (history, reminders cancelled, waitlist promoted);
        -- the cancellation message this queues for them is closed below with the rest of their outbox.
        FOR v_booking_id IN
            SELECT b.id
            FROM scheduling.bookings AS b
            INNER JOIN scheduling.sessions AS s ON b.session_id = s.id
            WHERE
                b.person_id = p_person_id
                AND b.status = 'confirmed'
                AND s.status = 'scheduled'
                AND s.deleted_at IS NULL
                AND s.starts_at > p_now
            ORDER BY s.starts_at, b.id
        LOOP
            PERFORM scheduling.cancel_booking(v_booking_id, c_cancel_reason, p_actor, p_now);
            v_cancelled := v_cancelled + 1;
        END LOOP;

        v_closed := scheduling_internal.close_person_messages(p_person_id, c_message_reason, p_now);
        v_traces := scheduling_internal.erase_person_traces(p_person_id, v_person.full_name, v_person.phone);
    END IF;

    RETURN jsonb_build_object(
        'person_id', p_person_id,
        'erased_at', coalesce(v_person.erased_at, p_now),
        'already_erased', v_person.erased_at IS NOT NULL,
        'bookings_cancelled', v_cancelled,
        'waitlist_entries_cancelled', v_waitlist,
        'messages_closed', v_closed,
        'outbox_rows_erased', coalesce((v_traces ->> 'outbox_rows_erased')::integer, 0),
        'history_rows_erased', coalesce((v_traces ->> 'history_rows_erased')::integer, 0),
        'bookings_erased', coalesce((v_traces ->> 'bookings_erased')::integer, 0),
        'inbound_messages_erased', coalesce((v_traces ->> 'inbound_messages_erased')::integer, 0),
        'delivery_reports_erased', coalesce((v_traces ->> 'delivery_reports_erased')::integer, 0)
    );
END;
$function$;

COMMENT ON FUNCTION scheduling.erase_person(uuid, text, text, timestamptz) IS
'Erases a person''s personal data for good, keeping their id, rows and counts: full_name becomes ''erased '
'person'', phone, language and WhatsApp consent go, deleted_at is set (if it was not) and erased_at = p_now, '
'erased_by = p_actor, erased_reason = p_reason (the name and phone taken out). Their waiting waitlist entries '
'are cancelled; their confirmed bookings of scheduled sessions ahead of p_now are cancelled through '
'cancel_booking (reason ''person erased'', history kept, seats freed, the waitlist promoted for others); every '
'pending or leased message to them is then closed as skipped, ''recipient erased'' (close_person_messages), the '
'cancellation messages just queued included, so nothing more is sent to them; then their name and phone are '
'taken out of the rows that kept them, live and archived (erase_person_traces): outbox parameters and reasons, '
'the host name in messages of sessions they hosted, booking reasons and history, the phone and body of the '
'messages they sent, delivery report errors. Returns {"person_id", "erased_at", "already_erased", '
'"bookings_cancelled", "waitlist_entries_cancelled", "messages_closed", "outbox_rows_erased", '
'"history_rows_erased", "bookings_erased", "inbound_messages_erased", "delivery_reports_erased"}. Erasing an '
'erased person changes nothing and returns zero counts with already_erased true. Text the app wrote elsewhere '
'(session titles, metadata, order references, reasons of sessions) is not searched. Errors, nothing changed: '
'SK007 unknown person; SK055 the person hosts scheduled or running sessions or recurring templates not ended '
'(cancel or delete them, end the templates, then erase); SK009 p_reason NULL or blank, p_now NULL or infinite.'
' Input limits: SK034 p_reason over 2000 characters or p_actor over 200.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.people and waitlist_entries; cancel_booking''s for each booking cancelled '
'(bookings, booking_status_history, reminders cancelled, a cancellation message queued and closed at once, '
'sessions.current_attendees, waitlist promotion with its bookings and messages to the people promoted); '
'close_person_messages'' (reminders skipped, logged in reminder_state_history by trigger reminders_history, which '
'also sends NOTIFY scheduling_reminders_due for a cancellation message queued due now); erase_person_traces'' '
'(reminders, bookings, inbound messages, provider events and their history and archive tables updated in place).';

GRANT EXECUTE ON FUNCTION scheduling.erase_person(uuid, text, text, timestamptz) TO sessionkeeper_app;
