-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.complete_session(
    p_session_id uuid,
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
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('complete_session', p_actor, p_now);
    v_session := scheduling_internal.lock_session_for_action(p_session_id, 'complete');

    IF v_session.status <> 'in_progress' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK003',
            MESSAGE = format('cannot complete session %s: it is %s', v_session.id, v_session.status),
            HINT = 'Only an in_progress session (delayed or not) can be completed.';
    END IF;

    UPDATE scheduling.sessions AS s
    SET
        status = 'completed',
        completed_at = p_now,
        changed_at = p_now
    WHERE s.id = v_session.id
    RETURNING s.* INTO v_session;

    PERFORM scheduling_internal.record_manual_session_change(
        v_session, 'in_progress',
        CASE WHEN v_session.is_delayed THEN 'delayed session completed by hand' ELSE 'completed by hand' END,
        'complete_session', p_actor, p_now
    );

    RETURN v_session;
END;
$function$;

COMMENT ON FUNCTION scheduling.complete_session(uuid, text, timestamptz) IS
'Completes an in_progress session by hand, delayed or not (completed_at = p_now; is_delayed is kept as a '
'record). Errors: SK001 not found, SK002 deleted, SK003 not in_progress. Writes history and NOTIFY; returns '
'the row.'
' Input limits: SK009 p_now NULL or infinite, SK034 p_actor over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.sessions (changed_at = p_now), inserts a session_status_history row and sends '
'NOTIFY scheduling_session_status (record_manual_session_change); trigger sessions_replan_reminders expires any '
'reminder of the session still open.';

GRANT EXECUTE ON FUNCTION scheduling.complete_session(uuid, text, timestamptz) TO sessionkeeper_app;
