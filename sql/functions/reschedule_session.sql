-- SECURITY DEFINER: apps hold no table privileges; this function is how they change these rows, with its checks.
-- search_path is fixed so that no schema of the caller can stand in for pg_catalog or scheduling.
CREATE OR REPLACE FUNCTION scheduling.reschedule_session(
    p_session_id uuid,
    p_new_starts_at timestamptz,
    p_new_ends_at timestamptz,
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
    v_old scheduling.sessions;
BEGIN
    PERFORM scheduling_internal.check_actor_and_now('reschedule_session', p_actor, p_now);
    v_old := scheduling_internal.lock_session_for_action(p_session_id, 'reschedule');

    IF v_old.status NOT IN ('scheduled', 'cancelled', 'no_show') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK003',
            MESSAGE = format('cannot reschedule session %s: it is %s', v_old.id, v_old.status),
            HINT = 'Only a scheduled, cancelled or no_show session can be rescheduled.';
    END IF;

    IF p_new_starts_at IS NULL OR p_new_ends_at IS NULL OR p_new_ends_at <= p_new_starts_at THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK004',
            MESSAGE = format(
                'cannot reschedule session %s: new end %s is not after new start %s',
                v_old.id, p_new_ends_at, p_new_starts_at
            );
    END IF;

    IF p_new_ends_at <= p_now THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK008',
            MESSAGE = format(
                'cannot reschedule session %s: the new slot already ended at %s', v_old.id, p_new_ends_at
            );
    END IF;

    UPDATE scheduling.sessions AS s
    SET
        status = 'scheduled',
        starts_at = p_new_starts_at,
        ends_at = p_new_ends_at,
        is_delayed = FALSE,
        started_at = NULL,
        completed_at = NULL,
        cancelled_at = NULL,
        cancel_reason = NULL,
        slot_version = s.slot_version + 1,
        changed_at = p_now
    WHERE s.id = v_old.id
    RETURNING s.* INTO v_session;

    PERFORM scheduling_internal.record_manual_session_change(
        v_session, v_old.status,
        format(
            'rescheduled from %s .. %s to %s .. %s',
            v_old.starts_at, v_old.ends_at, v_session.starts_at, v_session.ends_at
        ),
        'reschedule_session', p_actor, p_now
    );

    RETURN v_session;
END;
$function$;

COMMENT ON FUNCTION scheduling.reschedule_session(uuid, timestamptz, timestamptz, text, timestamptz) IS
'Moves a scheduled, cancelled or no_show session to a new slot: status '
'scheduled, is_delayed false, started/completed/cancellation fields cleared, slot_version + 1. Writes a '
'history row naming the old and new slot (also when it stays scheduled) and NOTIFY; returns the row. '
'Errors: SK001, SK002, SK003 other status, SK004 new end not after new start, SK008 new slot already ended.'
' Input limits: SK009 p_now NULL or infinite, SK034 p_actor over 200 characters, SK009 a new slot outside the '
'years 1900 to 9999.'
' SK038 when p_now is more than 5 minutes in the future and simulated time is off.'
' Side effects: updates scheduling.sessions (changed_at = p_now), inserts a session_status_history row and sends '
'NOTIFY scheduling_session_status (record_manual_session_change); trigger sessions_replan_reminders cancels the '
'open reminders of older slots and plans the new slot''s for every confirmed booking (each logged in '
'reminder_state_history by trigger reminders_history, which also sends NOTIFY scheduling_reminders_due for a row '
'due within a minute).';

GRANT EXECUTE ON FUNCTION scheduling.reschedule_session(
    uuid, timestamptz, timestamptz, text, timestamptz
) TO sessionkeeper_app;
