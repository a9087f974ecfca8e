-- SECURITY DEFINER: the worker holds no table privileges; this is one of the few outbox calls it may make.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.record_reminder_failure(
    p_reminder_id uuid,
    p_attempt_token uuid,
    p_error_code text,
    p_error_message text,
    p_retryable boolean,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.reminder_state
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_reminder scheduling.reminders;
    v_failures integer;
    v_outcome record;
BEGIN
    PERFORM scheduling_internal.check_now('record_reminder_failure', p_now);
    PERFORM
        scheduling_internal.check_text_length('record_reminder_failure: p_error_code', p_error_code, 'name'),
        scheduling_internal.check_text_length('record_reminder_failure: p_error_message', p_error_message, 'free_text');
    v_reminder := scheduling_internal.lock_reminder_for_worker(p_reminder_id, p_attempt_token, 'record a failure of');

    IF v_reminder.state IN ('pending', 'sent', 'undelivered', 'failed') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK018',
            MESSAGE = format('cannot record a failure of reminder %s: it is %s', v_reminder.reminder_key, v_reminder.state);
    END IF;

    v_failures := v_reminder.attempts + 1;

    IF v_reminder.state <> 'leased' THEN
        -- Closed while the worker held it: keep the error, keep the state.
        UPDATE scheduling.reminders AS r
        SET
            attempts = v_failures,
            last_error_code = p_error_code,
            last_error_message = p_error_message,
            updated_at = p_now
        WHERE r.id = v_reminder.id;
        RETURN v_reminder.state;
    END IF;

    v_outcome := scheduling_internal.failure_outcome(v_reminder, v_failures, p_retryable, p_error_code, p_now);

    UPDATE scheduling.reminders AS r
    SET
        state = v_outcome.next_state,
        attempts = v_failures,
        next_attempt_at = coalesce(v_outcome.retry_at, r.next_attempt_at),
        attempt_token = CASE WHEN v_outcome.next_state = 'pending' THEN NULL ELSE r.attempt_token END,
        lease_expires_at = NULL,
        last_error_code = p_error_code,
        last_error_message = p_error_message,
        state_reason = v_outcome.reason,
        updated_at = p_now
    WHERE r.id = v_reminder.id;

    RETURN v_outcome.next_state;
END;
$function$;

COMMENT ON FUNCTION scheduling.record_reminder_failure(uuid, uuid, text, text, boolean, timestamptz) IS
'Records a failed send of the claimed row (attempts + 1, provider error code and message kept) and returns the '
'new state, by the backoff rule of failure_outcome. Retryable: pending again 5 s, 25 s, 125 s, 625 s, 3125 s '
'after the 1st..5th failure (p_now), or when the recipient''s spacing allows (recipient_pacing), whichever is '
'later; failed at the 6th; expired when the retry would land at or after deadline_at. Permanent: failed at '
'once. A row closed while the worker held it keeps its state. Errors: SK019 unknown reminder, SK018 stale or '
'wrong attempt token, or the row is not leased (changes nothing).'
' Input limits: SK009 NULL p_now, SK034 p_error_code over 200 characters or p_error_message over 2000.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.reminders (attempts, error, state pending again, failed or expired), with a '
'reminder_state_history row when the state changes (trigger reminders_history).';

GRANT EXECUTE ON FUNCTION scheduling.record_reminder_failure(
    uuid, uuid, text, text, boolean, timestamptz
) TO sessionkeeper_worker;
