CREATE OR REPLACE FUNCTION scheduling_internal.record_manual_session_change(
    p_session scheduling.sessions,
    p_from scheduling.session_status,
    p_detail text,
    p_source text,
    p_actor text,
    p_now timestamptz
)
RETURNS void
LANGUAGE plpgsql
AS $function$
DECLARE
    v_action text;
BEGIN
    INSERT INTO scheduling.session_status_history (
        session_id, from_status, to_status, is_delayed, reason, detail, actor, slot_version, happened_at
    )
    VALUES (
        p_session.id, p_from, p_session.status, p_session.is_delayed, 'manual', p_detail,
        coalesce(p_actor, session_user), p_session.slot_version, p_now
    )
    RETURNING action INTO v_action;

    PERFORM scheduling_internal.notify_session_status(
        jsonb_build_object(
            'source', p_source,
            'started', CASE WHEN v_action = 'started' THEN 1 ELSE 0 END,
            'completed', CASE WHEN v_action = 'completed' THEN 1 ELSE 0 END,
            'updates', jsonb_build_array(
                jsonb_build_object('id', p_session.id, 'from', p_from, 'to', p_session.status, 'action', v_action)
            )
        )
    );
END;
$function$;

COMMENT ON FUNCTION scheduling_internal.record_manual_session_change(
    scheduling.sessions, scheduling.session_status, text, text, text, timestamptz
) IS
'Internal step shared by the manual session actions: after the row p_session was updated, writes its history '
'row (from p_from to its new status, reason manual, with actor and detail; its action is generated) and sends the '
'NOTIFY on scheduling_session_status with one update {id, from, to, action} (source = the function).'
' Side effects: inserts a session_status_history row; NOTIFY scheduling_session_status. (The reminders follow the'
' session update itself: trigger sessions_replan_reminders.)';
