CREATE OR REPLACE FUNCTION scheduling_internal.apply_delivery_events(p_reminder_id uuid)
RETURNS integer
LANGUAGE plpgsql
AS $function$
DECLARE
    v_message_id text;
    v_locked_message_id text;
    v_event_id bigint;
    v_applied integer := 0;
BEGIN
    -- The message's lock before the row lock (the order of record_delivery_status); the id read without the row
    -- lock is checked again under it.
    LOOP
        SELECT r.provider_message_id INTO v_message_id FROM scheduling.reminders AS r WHERE r.id = p_reminder_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'SK019',
                MESSAGE = format(
                    'cannot apply delivery events to reminder %s: reminder not found', coalesce(p_reminder_id::text, 'NULL')
                );
        END IF;
        IF v_message_id IS NULL THEN
            RETURN 0;
        END IF;
        PERFORM scheduling_internal.lock_provider_message(v_message_id);
        SELECT r.provider_message_id
        INTO v_locked_message_id
        FROM scheduling.reminders AS r
        WHERE r.id = p_reminder_id
        FOR UPDATE;
        EXIT WHEN v_locked_message_id IS NOT DISTINCT FROM v_message_id;
    END LOOP;

    -- In the order they happened, as if each had arrived after the send was recorded.
    FOR v_event_id IN
        SELECT e.id
        FROM scheduling.provider_events AS e
        WHERE e.provider_message_id = v_message_id AND e.reminder_id IS NULL
        ORDER BY coalesce(e.status_at, e.received_at), e.id
    LOOP
        PERFORM scheduling_internal.apply_provider_event(v_event_id, p_reminder_id);
        v_applied := v_applied + 1;
    END LOOP;

    RETURN v_applied;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.apply_delivery_events(uuid) IS
'Internal, called by record_reminder_sent once it has stored the provider message id: applies the delivery '
'reports that arrived before it (provider_events of that message id not matched yet), in the order they '
'happened, with the rule of apply_provider_event, and marks them matched to the reminder. Returns how many it '
'matched (0 when the reminder has no provider message id). A failed one among them changes the outbox state by '
'the verdict it was stored with (provider_events.retryable), exactly as if it had arrived after the send. '
'SK019 unknown reminder.'
' Side effects: takes the provider message''s advisory lock and the reminder''s row lock; updates '
'scheduling.reminders delivery columns (and state, for a failed report) and scheduling.provider_events '
'(apply_provider_event).';
