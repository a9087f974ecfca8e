-- SECURITY DEFINER: the webhook role holds no table privileges; this is how it records a delivery report.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.record_delivery_status(
    p_provider text,
    p_provider_message_id text,
    p_status text,
    p_status_at timestamptz DEFAULT NULL,
    p_error_code text DEFAULT NULL,
    p_error_message text DEFAULT NULL,
    p_now timestamptz DEFAULT now(),
    p_retryable boolean DEFAULT FALSE
)
RETURNS text
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    -- Provider message ids are short (WhatsApp's wamid.* about 60 characters, Twilio's SIDs 34).
    -- Error codes and messages are kept to these lengths (Meta's and Twilio's are far shorter).
    c_max_code_length CONSTANT integer := 100;
    c_max_message_length CONSTANT integer := 1000;
    -- Reports that are not about delivery, or not final yet: acknowledged, not stored.
    c_whatsapp_ignored CONSTANT text [] := ARRAY['deleted', 'warning', 'played'];
    c_twilio_ignored CONSTANT text [] := ARRAY[
        'queued', 'accepted', 'scheduled', 'sending', 'receiving', 'received', 'canceled', 'partially_delivered'
    ];
    v_word text := lower(btrim(p_status));
    v_status scheduling.delivery_status;
    v_reminder_id uuid;
    v_event_id bigint;
BEGIN
    PERFORM scheduling_internal.check_provider_message(
        'record_delivery_status', p_provider, p_provider_message_id, p_now
    );

    v_status := CASE
        WHEN v_word IN ('sent', 'delivered', 'read', 'failed') THEN v_word::scheduling.delivery_status
        WHEN p_provider = 'twilio' AND v_word = 'undelivered' THEN 'failed'::scheduling.delivery_status
    END;
    IF v_status IS NULL THEN
        IF v_word = ANY(CASE p_provider WHEN 'whatsapp' THEN c_whatsapp_ignored ELSE c_twilio_ignored END) THEN
            RETURN 'ignored';
        END IF;
        RAISE EXCEPTION USING
            ERRCODE = 'SK037',
            MESSAGE = format(
                'unknown %s delivery status %s', p_provider, coalesce(quote_literal(left(p_status, 40)), 'NULL')
            );
    END IF;

    -- The message's lock, then the reminder's row: the same order as record_reminder_sent, so a report racing
    -- the worker's record of the send is either matched here or left unmatched for the worker to apply.
    PERFORM scheduling_internal.lock_provider_message(p_provider_message_id);
    SELECT r.id
    INTO v_reminder_id
    FROM scheduling.reminders AS r
    WHERE r.provider_message_id = p_provider_message_id
    ORDER BY r.id
    LIMIT 1
    FOR UPDATE;

    INSERT INTO scheduling.provider_events (
        provider, provider_message_id, status, provider_status, status_at, error_code, error_message, received_at,
        outcome, retryable
    )
    VALUES (
        p_provider, p_provider_message_id, v_status, v_word, p_status_at, left(p_error_code, c_max_code_length),
        left(p_error_message, c_max_message_length), p_now, 'unmatched',
        v_status = 'failed' AND coalesce(p_retryable, FALSE)
    )
    ON CONFLICT ON CONSTRAINT provider_events_key DO NOTHING
    RETURNING id INTO v_event_id;

    IF v_event_id IS NULL THEN
        RETURN 'duplicate';
    END IF;
    IF v_reminder_id IS NULL THEN
        RETURN 'unmatched';
    END IF;
    RETURN scheduling_internal.apply_provider_event(v_event_id, v_reminder_id);
END;
$function$;

COMMENT ON FUNCTION scheduling.record_delivery_status(
    text, text, text, timestamptz, text, text, timestamptz, boolean
) IS
'The webhook''s delivery report: p_status is the provider''s word (whatsapp: sent, delivered, read, failed; '
'twilio: the same and undelivered = failed). p_retryable is the caller''s verdict on a failed report''s error '
'code (the webhook classifies it with the lists of send errors; NULL or FALSE: final), kept on the event. '
'Stores the event in provider_events once per provider, message id and status (the first copy''s verdict '
'counts), and applies it to the reminder with that provider_message_id (apply_provider_event: the status '
'only moves forward, delivered_at and read_at whatever the order; a failed report on a sent row makes it '
'undelivered, or pending again by the backoff rule when retryable; other outbox states stay). Returns applied, '
'stale (stored, a later status was already there), unmatched (stored; record_reminder_sent applies it when the '
'worker records the send), duplicate (already stored, nothing changed) or ignored (an interim or unrelated '
'status: twilio queued, sending ..., whatsapp deleted, warning; nothing stored). The error code and message '
'are kept to 100 and 1000 characters. Errors, nothing written: '
'SK035 unknown provider, SK036 message id missing, blank or over 200 characters, SK037 unknown status word, '
'SK009 NULL p_now.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: takes the message''s advisory lock; inserts a scheduling.provider_events row and, when a reminder'
' has that message id, updates its delivery columns in scheduling.reminders and marks the event matched '
'(apply_provider_event; the outbox state and its history are not touched).';

GRANT EXECUTE ON FUNCTION scheduling.record_delivery_status(
    text, text, text, timestamptz, text, text, timestamptz, boolean
) TO sessionkeeper_webhook;
