-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.mark_reminder_uncertain(
    p_reminder_id uuid,
    p_attempt_token uuid
)
RETURNS void
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_reminder scheduling.reminders;
BEGIN
    v_reminder := scheduling_internal.lock_reminder_for_worker(p_reminder_id, p_attempt_token, 'mark as uncertain');

    IF v_reminder.state IN ('pending', 'sent', 'undelivered', 'failed') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK018',
            MESSAGE = format('cannot mark reminder %s as uncertain: it is %s', v_reminder.reminder_key, v_reminder.state);
    END IF;

    UPDATE scheduling.reminders AS r
    SET uncertain = TRUE
    WHERE r.id = v_reminder.id AND NOT r.uncertain;
END;
$function$;

COMMENT ON FUNCTION scheduling.mark_reminder_uncertain(uuid, uuid) IS
'Flags the claimed row as uncertain (it may reach the recipient twice): the worker calls it when a send timed '
'out, before record_reminder_failure, since the provider may have accepted the message. A flag, not a state '
'change: no history row, updated_at kept; marking twice is harmless. Also works on a row closed (cancelled, '
'skipped, expired) while the worker held it. Errors: SK019 unknown reminder, SK018 stale or wrong attempt '
'token, or the row is not leased or closed (changes nothing).'
' Side effects: updates scheduling.reminders.uncertain (no state change, no history row).';

GRANT EXECUTE ON FUNCTION scheduling.mark_reminder_uncertain(uuid, uuid) TO sessionkeeper_worker;
