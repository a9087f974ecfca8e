CREATE OR REPLACE FUNCTION scheduling.start_session(
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
    v_session := scheduling.lock_session_for_action(p_session_id, 'start');

    IF v_session.status <> 'scheduled' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'SK003',
            MESSAGE = format('cannot start session %s: it is %s', v_session.id, v_session.status),
            HINT = 'Only a scheduled session can be started.';
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
        started_at = p_now
    WHERE s.id = v_session.id
    RETURNING s.* INTO v_session;

    INSERT INTO scheduling.session_status_history (
        session_id, from_status, to_status, is_delayed, reason, detail, actor, slot_version, happened_at
    )
    VALUES (
        v_session.id, 'scheduled', 'in_progress', FALSE, 'manual', 'started by hand',
        coalesce(p_actor, session_user), v_session.slot_version, p_now
    );

    PERFORM scheduling.notify_session_status(
        jsonb_build_object(
            'source', 'start_session',
            'started', 1,
            'updates', jsonb_build_array(
                jsonb_build_object('id', v_session.id, 'from', 'scheduled', 'to', 'in_progress')
            )
        )
    );

    RETURN v_session;
END;
$function$;

COMMENT ON FUNCTION scheduling.start_session(uuid, text, timestamptz) IS
'Starts a scheduled session by hand (scheduled -> in_progress, not delayed, started_at = p_now); it then '
'completes automatically at ends_at. Allowed before starts_at too, refused once the slot has ended (SK008). '
'Errors: SK001 not found, SK002 deleted, SK003 not scheduled. Writes history and NOTIFY; returns the row.';
