-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.record_reminder_sent(
    p_reminder_id uuid,
    p_attempt_token uuid,
    p_provider_message_id text,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.reminder_state
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    c_max_id_length CONSTANT integer := scheduling_internal.text_limit('name');
    v_reminder scheduling.reminders;
BEGIN
    PERFORM scheduling_internal.check_now('record_reminder_sent', p_now);
    IF char_length(p_provider_message_id) > c_max_id_length THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK036',
            MESSAGE = format(
                'provider message id longer than %s characters: %s...', c_max_id_length, left(p_provider_message_id, 40)
            );
    END IF;
    -- The message's lock before the row lock, as record_delivery_status takes them: a delivery report of this
    -- message that arrives meanwhile waits, then finds the provider id; one that came first is applied below.
    PERFORM scheduling_internal.lock_provider_message(p_provider_message_id);
    v_reminder := scheduling_internal.lock_reminder_for_worker(p_reminder_id, p_attempt_token, 'record the send of');

    -- The same send recorded again (same provider id) changes nothing, whatever the state became since.
    IF v_reminder.sent_at IS NOT NULL AND v_reminder.provider_message_id IS NOT DISTINCT FROM p_provider_message_id THEN
        RETURN v_reminder.state;
    END IF;
    -- Another provider id: refused for a row already sent, and for a closed row whose send was recorded after it
    -- closed (nothing touched it since: sent_at = updated_at). A closed row sent in an earlier round (sent, then
    -- re-queued by a late delivery failure, then closed while claimed again) records this send.
    IF v_reminder.state IN ('sent', 'undelivered')
        OR (v_reminder.state <> 'leased' AND v_reminder.sent_at >= v_reminder.updated_at) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK018',
            MESSAGE = format(
                'reminder %s was already recorded as sent (provider id %s)',
                v_reminder.reminder_key, v_reminder.provider_message_id
            );
    END IF;

    IF v_reminder.state IN ('pending', 'failed') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK018',
            MESSAGE = format('cannot record the send of reminder %s: it is %s', v_reminder.reminder_key, v_reminder.state);
    END IF;

    -- Closed (cancelled, skipped, expired) while this worker held it: it went out anyway, to a recipient who
    -- should not have had it. The facts are kept, the state stays, and the row is flagged for the operator.
    -- A resend after a late delivery failure clears the earlier message's delivery columns.
    UPDATE scheduling.reminders AS r
    SET
        state = CASE WHEN r.state = 'leased' THEN 'sent' ELSE r.state END,
        attempts = r.attempts + 1,
        sent_at = p_now,
        provider_message_id = p_provider_message_id,
        lease_expires_at = CASE WHEN r.state = 'leased' THEN NULL ELSE r.lease_expires_at END,
        uncertain = r.uncertain OR r.state <> 'leased',
        state_reason = CASE
            WHEN r.state <> 'leased' THEN coalesce(r.state_reason || '; ', '') || format(
                'sent by %s at %s after it was %s',
                coalesce(r.leased_by, 'a worker'), scheduling_internal.format_local_time(p_now, p.time_zone), r.state
            )
        END,
        updated_at = p_now,
        delivery_status = NULL,
        delivery_status_at = NULL,
        delivered_at = NULL,
        read_at = NULL,
        delivery_error_code = NULL,
        delivery_error_message = NULL
    FROM scheduling.people AS p
    WHERE r.id = v_reminder.id AND p.id = r.person_id
    RETURNING r.* INTO v_reminder;

    -- Delivery reports can arrive before the send is recorded: they wait in provider_events until now.
    -- A failed one among them moves the row on (undelivered, or pending again): return the state it ends in.
    IF scheduling_internal.apply_delivery_events(v_reminder.id) > 0 THEN
        SELECT r.* INTO v_reminder FROM scheduling.reminders AS r WHERE r.id = v_reminder.id;
    END IF;

    RETURN v_reminder.state;
END;
$function$;

COMMENT ON FUNCTION scheduling.record_reminder_sent(uuid, uuid, text, timestamptz) IS
'Records that the claimed row was sent (sent_at = p_now, provider_message_id, attempts + 1, the delivery columns '
'of an earlier send cleared) and returns the new state: sent, or what a failed delivery report that arrived '
'first made of it (undelivered, pending again, failed or expired: apply_provider_event). A row closed '
'(cancelled, skipped, expired) while the worker held its lease keeps that state '
'and returns it, with the send recorded, flagged uncertain (it reached the recipient when it should not have) and '
'''sent by {worker} at {local time} after it was {state}'' added to state_reason. Recording the same send twice '
'(the same provider id) is harmless; a different provider id for a row already sent or undelivered: SK018. '
'Errors: SK019 unknown '
'reminder, SK018 stale or wrong attempt token, SK036 provider id over 200 characters (both change nothing). '
'Delivery reports of the provider message id that arrived first (record_delivery_status: unmatched) are '
'applied then (apply_delivery_events).'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: takes the provider message''s advisory lock; updates scheduling.reminders (sent, sent_at, '
'provider_message_id, attempts; uncertain and state_reason of a closed row), with a reminder_state_history '
'row when the state changes (trigger reminders_history); applies the delivery reports stored before '
'(apply_delivery_events: reminder delivery columns, provider_events matched).';

GRANT EXECUTE ON FUNCTION scheduling.record_reminder_sent(uuid, uuid, text, timestamptz) TO sessionkeeper_worker;
