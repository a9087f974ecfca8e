-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.start_session(
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
    v_from scheduling.session_status;
    v_late boolean;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('start_session', p_actor, p_now);
    v_session := scheduling_internal.lock_session_for_action(p_session_id, 'start');

    v_from := v_session.status;
    -- A delayed session (in_progress, nobody started it by starts_at) may still be started by its host, late.
    v_late := v_session.status = 'in_progress' AND v_session.is_delayed AND v_session.started_at IS NULL;
    IF v_session.status <> 'scheduled' AND NOT v_late THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK003',
            MESSAGE = format('cannot start session %s: it is %s', v_session.id, v_session.status),
            HINT = 'Only a scheduled session, or a delayed one nobody has started, can be started.';
    END IF;

    IF v_session.ends_at <= p_now THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK008',
            MESSAGE = format(
                'cannot start session %s: its slot ended at %s', v_session.id, v_session.ends_at
            ),
            HINT = 'Reschedule it, or mark it no-show or cancelled.';
    END IF;

    UPDATE scheduling.sessions AS s
    SET
        status = 'in_progress',
        is_delayed = FALSE,
        started_at = p_now,
        changed_at = p_now
    WHERE s.id = v_session.id
    RETURNING s.* INTO v_session;

    PERFORM scheduling_internal.record_manual_session_change(
        v_session, v_from,
        CASE
            WHEN v_late THEN format('started by hand, late (delayed since %s)', v_session.delayed_since)
            ELSE 'started by hand'
        END,
        'start_session', p_actor, p_now
    );

    RETURN v_session;
END;
$function$;

COMMENT ON FUNCTION scheduling.start_session(uuid, text, timestamptz) IS
'Starts a session by hand (started_at = p_now, is_delayed false): a scheduled one (scheduled -> in_progress), '
'or late, a delayed one nobody started (in_progress -> in_progress; delayed_since is kept as a record). It then '
'completes automatically at ends_at. Allowed before starts_at too, refused once the slot has ended (SK008). '
'Errors: SK001 not found, SK002 deleted, SK003 neither scheduled nor delayed and unstarted. Writes history '
'(action started) and NOTIFY; returns the row.'
' Input limits: SK009 p_now NULL or infinite, SK034 p_actor over 200 characters.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.sessions (changed_at = p_now), inserts a session_status_history row and sends '
'NOTIFY scheduling_session_status (record_manual_session_change); when it leaves scheduled, trigger '
'sessions_replan_reminders expires the session''s open reminders.';

GRANT EXECUTE ON FUNCTION scheduling.start_session(uuid, text, timestamptz) TO sessionkeeper_app;
