CREATE OR REPLACE FUNCTION scheduling.cancel_session(
    p_session_id uuid,
    p_reason text DEFAULT NULL,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.sessions
LANGUAGE plpgsql
AS $function$
DECLARE
    v_session scheduling.sessions;
    v_from scheduling.session_status;
BEGIN
    v_session := scheduling.lock_session_for_action(p_session_id, 'cancel');
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
        cancel_reason = p_reason
    WHERE s.id = v_session.id
    RETURNING s.* INTO v_session;

    INSERT INTO scheduling.session_status_history (
        session_id, from_status, to_status, is_delayed, reason, detail, actor, slot_version, happened_at
    )
    VALUES (
        v_session.id, v_from, 'cancelled', v_session.is_delayed, 'manual',
        'cancelled' || coalesce(': ' || p_reason, ''),
        coalesce(p_actor, session_user), v_session.slot_version, p_now
    );

    PERFORM scheduling.notify_session_status(
        jsonb_build_object(
            'source', 'cancel_session',
            'updates', jsonb_build_array(
                jsonb_build_object('id', v_session.id, 'from', v_from, 'to', 'cancelled')
            )
        )
    );

    RETURN v_session;
END;
$function$;

COMMENT ON FUNCTION scheduling.cancel_session(uuid, text, text, timestamptz) IS
'Cancels a scheduled or in_progress session (cancelled_at = p_now, cancel_reason = p_reason); its later '
'time-driven steps are skipped with a trace. Errors: SK001 not found, SK002 deleted, SK003 other status. '
'Writes history and NOTIFY; returns the row. reschedule_session() can reopen it in a new slot.';
