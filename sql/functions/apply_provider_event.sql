CREATE OR REPLACE FUNCTION scheduling_internal.apply_provider_event(p_event_id bigint, p_reminder_id uuid)
RETURNS text
LANGUAGE plpgsql
AS $function$
DECLARE
    -- The order statuses move in. A failed report replaces nothing but sent; delivered and read prove delivery.
    c_order CONSTANT scheduling.delivery_status [] := ARRAY['sent', 'failed', 'delivered', 'read'];
    v_event scheduling.provider_events;
    v_reminder scheduling.reminders;
    v_at timestamptz;
    v_moves boolean;
    v_delivered_at timestamptz;
    v_read_at timestamptz;
BEGIN
    SELECT e.* INTO v_event FROM scheduling.provider_events AS e WHERE e.id = p_event_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK009', MESSAGE = format('delivery event %s not found', coalesce(p_event_id::text, 'NULL'));
    END IF;
    SELECT r.* INTO v_reminder FROM scheduling.reminders AS r WHERE r.id = p_reminder_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK019',
            MESSAGE = format('cannot apply a delivery event to reminder %s: reminder not found', p_reminder_id);
    END IF;

    v_at := coalesce(v_event.status_at, v_event.received_at);
    v_moves := array_position(c_order, v_event.status) > coalesce(array_position(c_order, v_reminder.delivery_status), 0);
    -- Whatever the order they arrive in, the delivered and read reports keep their own times.
    v_delivered_at := CASE WHEN v_event.status = 'delivered' THEN coalesce(v_reminder.delivered_at, v_at)
        ELSE v_reminder.delivered_at END;
    v_read_at := CASE WHEN v_event.status = 'read' THEN coalesce(v_reminder.read_at, v_at) ELSE v_reminder.read_at END;

    IF v_moves
        OR v_delivered_at IS DISTINCT FROM v_reminder.delivered_at
        OR v_read_at IS DISTINCT FROM v_reminder.read_at THEN
        -- The outbox state and updated_at stay: they are the worker's, not the provider's.
        UPDATE scheduling.reminders AS r
        SET
            delivery_status = CASE WHEN v_moves THEN v_event.status ELSE r.delivery_status END,
            delivery_status_at = CASE WHEN v_moves THEN v_at ELSE r.delivery_status_at END,
            delivered_at = v_delivered_at,
            read_at = v_read_at,
            delivery_error_code = CASE
                WHEN v_moves AND v_event.status = 'failed' THEN v_event.error_code ELSE r.delivery_error_code
            END,
            delivery_error_message = CASE
                WHEN v_moves AND v_event.status = 'failed' THEN v_event.error_message ELSE r.delivery_error_message
            END
        WHERE r.id = v_reminder.id;
    END IF;

    UPDATE scheduling.provider_events AS e
    SET
        reminder_id = v_reminder.id,
        outcome = CASE WHEN v_moves THEN 'applied' ELSE 'stale' END
    WHERE e.id = v_event.id;

    RETURN CASE WHEN v_moves THEN 'applied' ELSE 'stale' END;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.apply_provider_event(bigint, uuid) IS
'Internal, the one place of the delivery order rule (record_delivery_status and apply_delivery_events use it): '
'applies stored delivery event p_event_id to reminder p_reminder_id, both locked. delivery_status only moves '
'forward: sent, failed, delivered, read (failed replaces NULL or sent only); the event that moves it sets '
'delivery_status_at (its status_at, or received_at when the provider gave no time) and, when failed, the '
'delivery error code and message. delivered_at and read_at are filled from their own events in any order. The '
'outbox state is never changed. Marks the event matched; returns applied (the status moved) or stale (a later '
'status was there already; its delivered_at or read_at may still be filled). SK019 unknown reminder, SK009 '
'unknown event.'
' Side effects: updates the reminder''s delivery columns in scheduling.reminders (not its state: no history row) '
'and the event''s reminder_id and outcome in scheduling.provider_events.';
