CREATE OR REPLACE FUNCTION scheduling_internal.erase_person_traces(p_person_id uuid, p_name text, p_phone text)
RETURNS jsonb
LANGUAGE plpgsql
AS $function$
DECLARE
    v_placeholder CONSTANT text := scheduling_internal.erase_text(p_name, p_name, NULL);
    v_hosted uuid [];
    v_suffix text;
    v_count integer;
    v_outbox integer := 0;
    v_history integer := 0;
    v_bookings integer := 0;
    v_inbound integer := 0;
    v_reports integer := 0;
BEGIN
    -- Rows are scrubbed in place: ids, states and times stay, so counts and timelines do not change, and no
    -- state changes (the outbox history trigger writes nothing). Only rows that do change are written. Each
    -- statement runs twice, on the live table and on its archive (same columns, suffix _archive): $1 is the
    -- person, $2 the name, $3 the phone, $4 the placeholder, $5 the sessions they hosted.
    SELECT array_agg(h.id)
    INTO v_hosted
    FROM (
        SELECT s.id FROM scheduling.sessions AS s WHERE s.host_id = p_person_id
        UNION ALL
        SELECT sa.id FROM scheduling.sessions_archive AS sa WHERE sa.host_id = p_person_id
    ) AS h;

    FOREACH v_suffix IN ARRAY ARRAY['', '_archive'] LOOP
        -- The outbox: the values rendered for the person's own messages go; in the messages of sessions they
        -- hosted only the host's name is replaced.
        EXECUTE format($sql$
            UPDATE scheduling.%I AS r
            SET
                parameters = '{}'::jsonb,
                state_reason = scheduling_internal.erase_text(r.state_reason, $2, $3),
                last_error_message = scheduling_internal.erase_text(r.last_error_message, $2, $3),
                delivery_error_message = scheduling_internal.erase_text(r.delivery_error_message, $2, $3)
            WHERE
                r.person_id = $1
                AND (
                    r.parameters <> '{}'::jsonb
                    OR r.state_reason IS DISTINCT FROM scheduling_internal.erase_text(r.state_reason, $2, $3)
                    OR r.last_error_message
                    IS DISTINCT FROM scheduling_internal.erase_text(r.last_error_message, $2, $3)
                    OR r.delivery_error_message
                    IS DISTINCT FROM scheduling_internal.erase_text(r.delivery_error_message, $2, $3)
                )
        $sql$, 'reminders' || v_suffix) USING p_person_id, p_name, p_phone;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        v_outbox := v_outbox + v_count;

        EXECUTE format($sql$
            UPDATE scheduling.%I AS r
            SET parameters = r.parameters || jsonb_build_object('host_name', $4)
            WHERE r.session_id = ANY($5) AND r.parameters ? 'host_name' AND r.parameters ->> 'host_name' IS DISTINCT FROM $4
        $sql$, 'reminders' || v_suffix) USING p_person_id, p_name, p_phone, v_placeholder, v_hosted;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        v_outbox := v_outbox + v_count;

        -- The state history of the person's messages: reasons may quote a provider's error naming the phone.
        EXECUTE format($sql$
            UPDATE scheduling.%I AS h
            SET reason = scheduling_internal.erase_text(h.reason, $2, $3)
            WHERE
                h.reminder_id IN (SELECT r.id FROM scheduling.%I AS r WHERE r.person_id = $1)
                AND h.reason IS DISTINCT FROM scheduling_internal.erase_text(h.reason, $2, $3)
        $sql$, 'reminder_state_history' || v_suffix, 'reminders' || v_suffix) USING p_person_id, p_name, p_phone;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        v_history := v_history + v_count;

        -- Bookings and their history: a reason or actor may name them (a WhatsApp CANCEL is recorded with
        -- actor whatsapp:+phone).
        EXECUTE format($sql$
            UPDATE scheduling.%I AS b
            SET cancel_reason = scheduling_internal.erase_text(b.cancel_reason, $2, $3)
            WHERE
                b.person_id = $1
                AND b.cancel_reason IS DISTINCT FROM scheduling_internal.erase_text(b.cancel_reason, $2, $3)
        $sql$, 'bookings' || v_suffix) USING p_person_id, p_name, p_phone;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        v_bookings := v_bookings + v_count;

        EXECUTE format($sql$
            UPDATE scheduling.%I AS h
            SET
                detail = scheduling_internal.erase_text(h.detail, $2, $3),
                actor = scheduling_internal.erase_text(h.actor, $2, $3)
            WHERE
                h.booking_id IN (SELECT b.id FROM scheduling.%I AS b WHERE b.person_id = $1)
                AND (
                    h.detail IS DISTINCT FROM scheduling_internal.erase_text(h.detail, $2, $3)
                    OR h.actor IS DISTINCT FROM scheduling_internal.erase_text(h.actor, $2, $3)
                )
        $sql$, 'booking_status_history' || v_suffix, 'bookings' || v_suffix) USING p_person_id, p_name, p_phone;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        v_history := v_history + v_count;

        -- What they wrote to us, and from which phone: theirs, or from their phone when no person had it then.
        EXECUTE format($sql$
            UPDATE scheduling.%I AS m
            SET from_phone = NULL, body = NULL
            WHERE
                (m.person_id = $1 OR (m.person_id IS NULL AND m.from_phone = $3))
                AND (m.from_phone IS NOT NULL OR m.body IS NOT NULL)
        $sql$, 'inbound_messages' || v_suffix) USING p_person_id, p_name, p_phone;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        v_inbound := v_inbound + v_count;

        -- Delivery reports of their messages: a provider's error message may quote the phone.
        EXECUTE format($sql$
            UPDATE scheduling.%I AS e
            SET error_message = scheduling_internal.erase_text(e.error_message, $2, $3)
            WHERE
                e.reminder_id IN (SELECT r.id FROM scheduling.%I AS r WHERE r.person_id = $1)
                AND e.error_message IS DISTINCT FROM scheduling_internal.erase_text(e.error_message, $2, $3)
        $sql$, 'provider_events' || v_suffix, 'reminders' || v_suffix) USING p_person_id, p_name, p_phone;
        GET DIAGNOSTICS v_count = ROW_COUNT;
        v_reports := v_reports + v_count;
    END LOOP;

    RETURN jsonb_build_object(
        'outbox_rows_erased', v_outbox,
        'history_rows_erased', v_history,
        'bookings_erased', v_bookings,
        'inbound_messages_erased', v_inbound,
        'delivery_reports_erased', v_reports
    );
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.erase_person_traces(uuid, text, text) IS
'Internal (erase_person): takes the person''s name p_name and phone p_phone out of the rows that keep them, live '
'and archived, in place (ids, states and times kept): their outbox rows'' parameters emptied and the name and '
'phone replaced by ''erased person'' (erase_text) in their state reasons, error messages and state history; the '
'host_name of messages of sessions they hosted replaced; their bookings'' cancel reasons and the details and '
'actors of their booking history; the phone and body of the messages they sent (person_id theirs, or their '
'phone with no person); the error messages of the delivery reports of their messages. Returns the rows changed: '
'{"outbox_rows_erased", "history_rows_erased", "bookings_erased", "inbound_messages_erased", '
'"delivery_reports_erased"}; a second call changes nothing and returns zeros.'
' Side effects: updates scheduling.reminders, reminders_archive, reminder_state_history(_archive), bookings, '
'bookings_archive, booking_status_history(_archive), inbound_messages(_archive), provider_events(_archive); no '
'outbox state changes, so no history rows are written.';
