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
    v_learned_at timestamptz;
    v_moves boolean;
    v_delivered_at timestamptz;
    v_read_at timestamptz;
    v_state scheduling.reminder_state;
    v_retry_at timestamptz;
    v_reason text;
    v_time_zone text;
    v_outcome record;
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
    -- When the outbox learns of it: the report's arrival, or the record of the send for a report that came first.
    v_learned_at := greatest(v_event.received_at, v_reminder.sent_at);
    v_moves := array_position(c_order, v_event.status) > coalesce(array_position(c_order, v_reminder.delivery_status), 0);
    -- Whatever the order they arrive in, the delivered and read reports keep their own times.
    v_delivered_at := CASE WHEN v_event.status = 'delivered' THEN coalesce(v_reminder.delivered_at, v_at)
        ELSE v_reminder.delivered_at END;
    v_read_at := CASE WHEN v_event.status = 'read' THEN coalesce(v_reminder.read_at, v_at) ELSE v_reminder.read_at END;

    -- The outbox state moves only for a sent row that fails late (the backoff rule of send failures when the
    -- webhook judged the code retryable, else undelivered), and back to sent when a later report proves delivery
    -- of a row that such a failure had moved. Any other row keeps its state: it is the worker's.
    v_state := v_reminder.state;
    IF v_moves AND v_event.status = 'failed' AND v_reminder.state = 'sent' THEN
        SELECT p.time_zone INTO v_time_zone FROM scheduling.people AS p WHERE p.id = v_reminder.person_id;
        v_reason := format(
            'delivery failed: %s %s, reported for %s',
            coalesce(v_event.error_code, '(no code)'), coalesce(v_event.error_message, '(no message)'),
            scheduling_internal.format_local_time(v_at, v_time_zone)
        );
        IF v_event.retryable THEN
            -- The attempt was counted when its send was recorded.
            v_outcome := scheduling_internal.failure_outcome(
                v_reminder, greatest(v_reminder.attempts, 1), TRUE, v_event.error_code, v_learned_at
            );
            v_state := v_outcome.next_state;
            v_retry_at := v_outcome.retry_at;
            v_reason := v_reason || '; ' || v_outcome.reason;
        ELSE
            v_state := 'undelivered';
        END IF;
    ELSIF v_moves AND v_event.status IN ('delivered', 'read') AND v_reminder.delivery_status = 'failed'
        AND v_reminder.state IN ('undelivered', 'pending') THEN
        SELECT p.time_zone INTO v_time_zone FROM scheduling.people AS p WHERE p.id = v_reminder.person_id;
        v_state := 'sent';
        v_reason := format(
            'delivered after all: %s reported for %s',
            v_event.status, scheduling_internal.format_local_time(v_at, v_time_zone)
        );
    END IF;

    IF v_moves
        OR v_delivered_at IS DISTINCT FROM v_reminder.delivered_at
        OR v_read_at IS DISTINCT FROM v_reminder.read_at THEN
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

    IF v_state IS DISTINCT FROM v_reminder.state THEN
        UPDATE scheduling.reminders AS r
        SET
            state = v_state,
            next_attempt_at = coalesce(v_retry_at, r.next_attempt_at),
            attempt_token = CASE WHEN v_state = 'pending' THEN NULL ELSE r.attempt_token END,
            last_error_code = CASE WHEN v_event.status = 'failed' THEN v_event.error_code ELSE r.last_error_code END,
            last_error_message = CASE
                WHEN v_event.status = 'failed' THEN v_event.error_message ELSE r.last_error_message
            END,
            state_reason = v_reason,
            updated_at = v_learned_at
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
'delivery error code and message. delivered_at and read_at are filled from their own events in any order. '
'A failed event that moves the status of a row in state sent (a late delivery failure) changes its outbox '
'state too, at the moment the outbox learns of it (the later of the event''s received_at and the row''s '
'sent_at): event.retryable (the webhook''s verdict on the code) follows the backoff rule of send failures '
'(failure_outcome, with the attempt the send already counted: pending again with the retry time, failed after '
'the last retry, expired past the deadline); not retryable makes it undelivered. Either way last_error_code '
'and last_error_message get the report''s error, state_reason the code, message and the report''s time in the '
'recipient''s time zone. A delivered or read report that moves the status of a row such a failure made '
'undelivered or pending puts it back to sent. Any other row (cancelled, skipped, already retried ...) keeps its '
'state. Marks the event matched; returns applied (the status moved) or stale (a later status was there '
'already; its delivered_at or read_at may still be filled). SK019 unknown reminder, SK009 unknown event.'
' Side effects: updates the reminder''s delivery columns in scheduling.reminders and, as above, its state (with '
'a reminder_state_history row, trigger reminders_history); the event''s reminder_id and outcome in '
'scheduling.provider_events.';
