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
'Internal: closes every pending and leased outbox row (any kind) addressed to the person as skipped with '
'p_reason, at p_now; a leased row keeps its attempt token, so the worker holding it can still record what '
'happened to its send. Sent and closed rows are not touched. Returns the number of rows closed.'
' Side effects: updates scheduling.reminders, each logged in reminder_state_history by trigger reminders_history.';
