-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.cancel_session(
    p_session_id uuid,
    p_reason text DEFAULT NULL,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.sessions
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, scheduling, pg_temp
AS $function$
DECLARE
    v_session scheduling.sessions;
    v_from scheduling.session_status;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('cancel_session', p_actor, p_now);
    v_session := scheduling_internal.lock_session_for_action(p_session_id, 'cancel');
    v_from := v_session.status;

    IF v_from NOT IN ('scheduled', 'in_progress') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK003',
            MESSAGE = format('cannot cancel session %s: it is %s', v_session.id, v_from),
            HINT = 'Only a scheduled or in_progress session can be cancelled.';
    END IF;

    UPDATE scheduling.sessions AS s
    SET
        status = 'cancelled',
        cancelled_at = p_now,
        cancel_reason = p_reason,
        changed_at = p_now
    WHERE s.id = v_session.id
    RETURNING s.* INTO v_session;

    PERFORM scheduling_internal.record_manual_session_change(
        v_session, v_from,
        'cancelled' || coalesce(': ' || p_reason, ''),
        'cancel_session', p_actor, p_now
    );

    RETURN v_session;
END;
$function$;

COMMENT ON FUNCTION scheduling.cancel_session(uuid, text, text, timestamptz) IS
'Cancels a scheduled or in_progress session (cancelled_at = p_now, cancel_reason = p_reason); its later '
'time-driven steps are skipped with a trace. Errors: SK001 not found, SK002 deleted, SK003 other status. '
'Writes history and NOTIFY; returns the row. reschedule_session() can reopen it in a new slot.'
' Input limits: SK009 p_now NULL or infinite, SK034 p_reason over 2000 characters or p_actor over 200.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.sessions (changed_at = p_now), inserts a session_status_history row and sends '
'NOTIFY scheduling_session_status (record_manual_session_change); trigger sessions_replan_reminders cancels the '
'session''s open reminders and, when it was scheduled and its start is ahead, queues a cancellation message per '
'confirmed booking (each logged in reminder_state_history by trigger reminders_history, which also sends NOTIFY '
'scheduling_reminders_due for a row due within a minute). Bookings stay confirmed.';

GRANT EXECUTE ON FUNCTION scheduling.cancel_session(uuid, text, text, timestamptz) TO sessionkeeper_app;
