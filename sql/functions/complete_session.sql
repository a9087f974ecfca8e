CREATE OR REPLACE FUNCTION scheduling.complete_session(
    p_session_id uuid,
    p_actor text DEFAULT session_user,
    p_now timestamptz DEFAULT now()
)
RETURNS scheduling.sessions
LANGUAGE plpgsql
AS $function$
DECLARE
    v_session scheduling.sessions;
BEGIN
    v_session := scheduling.lock_session_for_action(p_session_id, 'complete');

    IF v_session.status <> 'in_progress' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK003',
            MESSAGE = format('cannot complete session %s: it is %s', v_session.id, v_session.status),
            HINT = 'Only an in_progress session (delayed or not) can be completed.';
    END IF;

    UPDATE scheduling.sessions AS s
    SET
        status = 'completed',
        completed_at = p_now
    WHERE s.id = v_session.id
    RETURNING s.* INTO v_session;

    INSERT INTO scheduling.session_status_history (
        session_id, from_status, to_status, is_delayed, reason, detail, actor, slot_version, happened_at
    )
    VALUES (
        v_session.id, 'in_progress', 'completed', v_session.is_delayed, 'manual',
        CASE WHEN v_session.is_delayed THEN 'delayed session completed by hand' ELSE 'completed by hand' END,
        coalesce(p_actor, session_user), v_session.slot_version, p_now
    );

    PERFORM scheduling.notify_session_status(
        jsonb_build_object(
            'source', 'complete_session',
            'completed', 1,
            'updates', jsonb_build_array(
                jsonb_build_object('id', v_session.id, 'from', 'in_progress', 'to', 'completed')
            )
        )
    );

    RETURN v_session;
END;
$function$;

COMMENT ON FUNCTION scheduling.complete_session(uuid, text, timestamptz) IS
'Completes an in_progress session by hand, delayed or not (completed_at = p_now; is_delayed is kept as a '
'record). Errors: SK001 not found, SK002 deleted, SK003 not in_progress. Writes history and NOTIFY; returns '
'the row.';
