-- SECURITY DEFINER: the webhook role holds no table privileges; this is how it records a reply (and cancels).
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.record_inbound_message(
    p_provider text,
    p_provider_message_id text,
    p_from_phone text,
    p_body text,
    p_in_reply_to text DEFAULT NULL,
    p_received_at timestamptz DEFAULT NULL,
    p_now timestamptz DEFAULT now()
)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    c_max_id_length CONSTANT integer := scheduling_internal.text_limit('name');
    -- WhatsApp's own limit on a text message.
    c_max_body_length CONSTANT integer := 4096;
    c_cancel_reason CONSTANT text := 'cancelled by WhatsApp reply';
    v_phone text;
    v_in_reply_to text;
    v_message_id bigint;
    v_stored scheduling.inbound_messages;
    v_people uuid [];
    v_person_id uuid;
    v_booking_id uuid;
    v_action text;
    v_consent boolean;
    v_sender uuid;
BEGIN
    PERFORM scheduling_internal.check_provider_message(
        'record_inbound_message', p_provider, p_provider_message_id, p_now
    );

    -- Meta sends 15551234567, Twilio whatsapp:+15551234567; people.phone holds +15551234567.
    v_phone := regexp_replace(btrim(p_from_phone), '^whatsapp:', '', 'i');
    IF v_phone IS NULL OR v_phone !~ '^\+?[1-9][0-9]{6,14}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK006',
            MESSAGE = format(
                'sender %s is not a phone number (E.164, + optional, whatsapp: prefix allowed)',
                coalesce(quote_literal(left(p_from_phone, 40)), 'NULL')
            );
    END IF;
    v_phone := '+' || ltrim(v_phone, '+');
    -- An id longer than any provider's is no message of ours: as if there were none.
    v_in_reply_to := nullif(btrim(p_in_reply_to), '');
    IF char_length(v_in_reply_to) > c_max_id_length THEN
        v_in_reply_to := NULL;
    END IF;

    -- Stored first: a replay of the message id, even a concurrent one, waits here and then finds it, so a CANCEL
    -- cancels at most once.
    INSERT INTO scheduling.inbound_messages (
        provider, provider_message_id, from_phone, body, in_reply_to, received_at, recorded_at, action
    )
    VALUES (
        p_provider, p_provider_message_id, v_phone, left(p_body, c_max_body_length), v_in_reply_to,
        coalesce(p_received_at, p_now), p_now, 'stored'
    )
    ON CONFLICT ON CONSTRAINT inbound_messages_key DO NOTHING
    RETURNING id INTO v_message_id;

    IF v_message_id IS NULL THEN
        SELECT m.*
        INTO v_stored
        FROM scheduling.inbound_messages AS m
        WHERE m.provider = p_provider AND m.provider_message_id = p_provider_message_id;
        RETURN jsonb_build_object('action', v_stored.action, 'booking_id', v_stored.booking_id, 'duplicate', TRUE);
    END IF;

    SELECT array_agg(p.id ORDER BY p.created_at, p.id)
    INTO v_people
    FROM scheduling.people AS p
    WHERE p.phone = v_phone AND p.deleted_at IS NULL;

    v_consent := scheduling_internal.consent_keyword(p_body);
    IF v_people IS NULL THEN
        v_action := 'unknown_sender';
    ELSIF v_consent IS NOT NULL THEN
        -- STOP, START and the like (scheduling.consent_keywords): for everyone with the sender's phone.
        v_person_id := v_people[1];
        v_action := 'already';
        FOREACH v_sender IN ARRAY v_people LOOP
            IF scheduling_internal.change_whatsapp_consent(
                v_sender, v_consent, 'reply', p_provider || ' reply', p_now, v_message_id
            ) THEN
                v_action := CASE WHEN v_consent THEN 'opted_in' ELSE 'opted_out' END;
            END IF;
        END LOOP;
    ELSIF upper(regexp_replace(p_body, '^\s+|[\s[:punct:]]+$', '', 'g')) IS DISTINCT FROM 'CANCEL' THEN
        v_action := 'stored';
        v_person_id := v_people[1];
    ELSE
        -- The booking of the reminder replied to, when it can still be cancelled ...
        SELECT b.id, b.person_id
        INTO v_booking_id, v_person_id
        FROM scheduling.reminders AS r
        INNER JOIN scheduling.bookings AS b ON r.booking_id = b.id
        INNER JOIN scheduling.sessions AS s ON b.session_id = s.id
        WHERE
            v_in_reply_to IS NOT NULL
            AND r.provider_message_id = v_in_reply_to
            AND b.person_id = ANY(v_people)
            AND b.status = 'confirmed'
            AND s.status = 'scheduled'
            AND s.deleted_at IS NULL
            AND s.starts_at > p_now
        ORDER BY s.starts_at, b.id
        LIMIT 1;

        -- ... else the sender's next one, unless the reply names a message we sent them (a reply to the
        -- cancellation message, or to a reminder of a booking already over, must not cancel another booking).
        IF v_booking_id IS NULL AND NOT EXISTS (
            SELECT FROM scheduling.reminders AS r
            WHERE r.provider_message_id = v_in_reply_to AND r.person_id = ANY(v_people)
        ) THEN
            SELECT b.id, b.person_id
            INTO v_booking_id, v_person_id
            FROM scheduling.bookings AS b
            INNER JOIN scheduling.sessions AS s ON b.session_id = s.id
            WHERE
                b.person_id = ANY(v_people)
                AND b.status = 'confirmed'
                AND s.status = 'scheduled'
                AND s.deleted_at IS NULL
                AND s.starts_at > p_now
            ORDER BY s.starts_at, b.id
            LIMIT 1;
        END IF;

        IF v_booking_id IS NULL THEN
            v_action := 'nothing_to_cancel';
            v_person_id := v_people[1];
        ELSE
            BEGIN
                -- Cancels its reminders and queues the cancellation message (trigger bookings_plan_reminders).
                PERFORM scheduling.cancel_booking(v_booking_id, c_cancel_reason, 'whatsapp:' || v_phone, p_now);
                v_action := 'cancelled_booking';
            EXCEPTION WHEN SQLSTATE 'SK013' THEN
                -- Cancelled by someone else since it was picked: done already, and no other booking is taken.
                v_action := 'nothing_to_cancel';
                v_booking_id := NULL;
            END;
        END IF;
    END IF;

    UPDATE scheduling.inbound_messages AS m
    SET
        person_id = v_person_id,
        action = v_action,
        booking_id = v_booking_id
    WHERE m.id = v_message_id;

    RETURN jsonb_build_object('action', v_action, 'booking_id', v_booking_id, 'duplicate', FALSE);
END;
$function$;

COMMENT ON FUNCTION scheduling.record_inbound_message(text, text, text, text, text, timestamptz, timestamptz) IS
'The webhook''s incoming message: stores it in inbound_messages (sender normalised to +digits from 15551234567, '
'+15551234567 or whatsapp:+15551234567; body cut to 4096 characters; in_reply_to blank or over 200 characters '
'kept as NULL; received_at = p_received_at or p_now) and '
'acts on it. Sender = the non-deleted people with that phone (none: unknown_sender). A body that is CANCEL '
'(trimmed, any case, trailing punctuation dropped) cancels through cancel_booking, actor whatsapp:+phone, the '
'booking of the reminder replied to (p_in_reply_to = its provider_message_id) when it is confirmed and its '
'session scheduled and ahead of p_now; when the reply names no message we sent the sender, their next such '
'booking (cancelled_booking; none, or a reply to a message whose booking cannot be cancelled: '
'nothing_to_cancel). A body that is a word of scheduling.consent_keywords (any language; compared the same way, '
'runs of spaces folded) withdraws (STOP, Stopp, BAJA ...) or gives (START ...) WhatsApp consent for every such '
'person through set_whatsapp_consent''s rules (source reply, actor ''{provider} reply'', this message''s id in '
'consent_changes; a withdrawal closes their pending and leased messages): opted_out, opted_in, or already when '
'nobody''s consent changed. No reply is sent back. Other text: stored. Returns {"action", "booking_id", '
'"duplicate"}; a message id already stored returns its stored outcome with duplicate true and changes nothing. '
'Errors, nothing written: SK035 unknown provider, SK036 message id missing, blank or over 200 characters, SK006 '
'sender not a phone number, SK009 NULL p_now.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: inserts and updates a scheduling.inbound_messages row; a CANCEL reply cancels a booking through '
'cancel_booking (booking history, reminders cancelled, cancellation message queued, seat freed, waitlist '
'promoted); a consent word updates scheduling.people, inserts scheduling.consent_changes rows and, when it '
'withdraws, closes scheduling.reminders rows as skipped.';

GRANT EXECUTE ON FUNCTION scheduling.record_inbound_message(
    text, text, text, text, text, timestamptz, timestamptz
) TO sessionkeeper_webhook;
