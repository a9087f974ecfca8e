CREATE OR REPLACE FUNCTION scheduling_internal.close_person_messages(
    p_person_id uuid,
    p_reason text,
    p_now timestamptz
)
RETURNS integer
LANGUAGE plpgsql
AS $function$
DECLARE
    v_count integer;
BEGIN
    -- The attempt token is kept: a worker sending a leased row meanwhile still records its send, which
    -- record_reminder_sent flags as sent after the row was closed.
    UPDATE scheduling.reminders
    SET
        state = 'skipped',
        state_reason = p_reason,
        lease_expires_at = NULL,
        updated_at = p_now
    WHERE person_id = p_person_id AND state IN ('pending', 'leased');

    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.close_person_messages(uuid, text, timestamptz) IS
'Internal: closes every pending and leased outbox row (reminders and cancellation messages alike) addressed to '
'person p_person_id as skipped with state_reason p_reason, at p_now; sent and already closed rows are never '
'touched. A leased row keeps its attempt token, so a send in flight is still recorded (flagged as sent after it '
'was closed). Returns the number of rows closed.'
' Side effects: updates scheduling.reminders, each logged in reminder_state_history by trigger reminders_history.';
